import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { hydrated, signIn } from './helpers';

test('the supervision office filters the ledger, opens the responsibility list and exports it with progress', async ({ page }) => {
  await signIn(page, 'leader');
  await page.getByRole('link', { name: '台账' }).click();
  await expect(page).toHaveURL(/\/ledger$/);
  await hydrated(page);
  const total = page.getByTestId('ledger-total');
  const all = Number(await total.getAttribute('data-total'));
  expect(all).toBeGreaterThan(100);
  // A page holds 100 lines; the rest is a link away.
  await expect(page.locator('[data-testid="ledger-table"] tbody tr')).toHaveCount(100);
  await expect(page.getByTestId('ledger-next')).toBeVisible();

  // Only what is overdue, for one unit.
  const filters = page.getByTestId('ledger-filters');
  await filters.locator('select[name="state"]').selectOption('overdue');
  await filters.locator('select[name="unit"]').selectOption({ index: 1 });
  await filters.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/state=overdue/);
  await hydrated(page);
  const narrowed = Number(await page.getByTestId('ledger-total').getAttribute('data-total'));
  expect(narrowed).toBeLessThan(all);
  const rows = page.locator('[data-testid="ledger-table"] tbody tr');
  await expect(rows).toHaveCount(Math.min(narrowed, 100));

  // The responsibility list keeps the filter and names unit, person and deadline.
  await page.locator('nav.tabs a[data-list="responsibility"]').click();
  await expect(page).toHaveURL(/list=responsibility/);
  await expect(page).toHaveURL(/state=overdue/);
  await expect(page.getByRole('heading', { name: '责任清单' })).toBeVisible();
  const head = page.locator('[data-testid="ledger-table"] thead th');
  await expect(head).toContainText(['序号', '查询码', '标题', '层级', '责任单位', '责任人', '签收时限', '办结时限', '状态']);

  // The export is fetched in the page with a progress bar, then saved.
  await hydrated(page);
  const download = page.waitForEvent('download');
  await page.getByTestId('ledger-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^responsibility-\d{4}-\d{2}-\d{2}\.csv$/);
  await expect(page.getByTestId('export-progress')).toHaveAttribute('data-finished', 'true');
  const saved = readFileSync((await file.path())!, 'utf8');
  const lines = saved.trim().split('\n');
  expect(lines[0]).toContain('责任人');
  expect(lines.length - 1).toBeGreaterThanOrEqual(narrowed);

  const xlsx = page.waitForEvent('download');
  await page.getByTestId('ledger-xlsx').click();
  expect((await xlsx).suggestedFilename()).toMatch(/\.xlsx$/);
});

test('figures by month show trend lines, a table with a total and a CSV', async ({ page }) => {
  await signIn(page, 'leader');
  await page.getByRole('link', { name: '统计', exact: true }).click();
  await hydrated(page);
  await page.locator('select[name="by"]').selectOption('month');
  await page.locator('form.filters button[type="submit"]').click();
  await expect(page).toHaveURL(/by=month/);
  const table = page.getByTestId('figures-table');
  await expect(table).toHaveAttribute('data-by', 'month');
  await expect(table.locator('tbody tr')).toHaveCount(12);
  await expect(page.locator('svg.chart path.satisfaction')).toHaveCount(1);
  await expect(page.locator('.definitions')).toContainText('满意率 = （满意 + 基本满意）÷ 已评价件');
  const collected = await table.locator('tbody tr td:nth-child(2)').allTextContents();
  const sum = collected.reduce((s, n) => s + Number(n), 0);
  await expect(table.locator('tfoot td').first()).toHaveText(String(sum));

  await page.locator('select[name="by"]').selectOption('grid');
  await page.locator('form.filters button[type="submit"]').click();
  await expect(table).toHaveAttribute('data-by', 'grid');
  await expect(page.locator('svg.chart rect.collected').first()).toBeVisible();
  const href = await page.getByTestId('figures-csv').getAttribute('href');
  const csv = await page.request.get(href!);
  expect(csv.ok()).toBeTruthy();
  expect(await csv.text()).toContain('合计');
});
