import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('the supervision office reads the units\' monthly ranking with its definitions', async ({ page }) => {
  await signIn(page, 'leader');
  await page.getByRole('link', { name: '红黑榜' }).click();
  await expect(page).toHaveURL(/\/ranking$/);
  await hydrated(page);
  const rows = page.locator('table.ranking-table tbody tr');
  await expect(rows.first()).toBeVisible();
  // The first row is on the red list; no unit is on both lists.
  await expect(rows.first()).toHaveAttribute('data-list', 'red');
  await expect(page.locator('tr[data-list="red"]')).not.toHaveCount(0);
  const reds = await page.locator('tr[data-list="red"]').count();
  expect(reds).toBeLessThanOrEqual(3);
  await expect(page.locator('.definitions')).toContainText('满意率 =（满意 + 基本满意）÷ 已评价件数');

  // The same table downloads as CSV for Excel.
  const href = await page.getByTestId('csv').getAttribute('href');
  const csv = await page.request.get(href!);
  expect(csv.ok()).toBeTruthy();
  expect(csv.headers()['content-type']).toContain('text/csv');
  const text = await csv.text();
  expect(text).toContain('责任单位');
  expect(text.trim().split('\n').length).toEqual((await rows.count()) + 1);

  // Another month is a query away; a malformed one is refused with a message.
  await page.goto('/ranking?month=2026-01');
  await expect(page.locator('input[name="month"]')).toHaveValue('2026-01');
  await page.goto('/ranking?month=soon');
  await expect(page.getByRole('alert')).toBeVisible();
});
