import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';

/** Registers a request at the station through the intake form; returns its code. */
async function register(page: Page, title: string, description: string, compound: string) {
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', title);
  await page.fill('textarea[name="description"]', description);
  await page.selectOption('select[name="region_id"]', { label: compound });
  await page.fill('input[name="resident_name"]', '孙丽华');
  await page.fill('input[name="resident_phone"]', '13600005678');
  await page.click('main form button[type="submit"]');
  return (await page.getByTestId('receipt-code').textContent())!.trim();
}

test('a station links two similar cases into one escalated item and both follow its progress', async ({ page }) => {
  const run = Date.now().toString(36);
  await signIn(page, 'director');
  await page.goto('/intake');
  await hydrated(page);
  // Two compounds of the community, so the item sits above both.
  const compounds = await page.locator('select[name="region_id"] option').allTextContents();
  const [here, there] = [compounds[1], compounds[compounds.length - 1]];
  const first = await register(page, `雨后地下室进水 ${run}`, '每逢下雨小区地下室进水，排水管网老化堵塞', here);
  const second = await register(page, `下雨地下室积水 ${run}`, '一下雨地下室就积水，排水管网老旧堵塞严重', there);

  // The first case offers the second as a similar open case; tick it and escalate.
  await page.goto(`/cases/${first}`);
  await hydrated(page);
  const box = page.getByTestId('link-cases');
  await expect(box).toBeVisible();
  await box.locator(`label[data-code="${second}"] input`).check();
  await expect(box.locator('input[name="codes"]')).toHaveValue(`${first} ${second}`);
  await box.locator('input[name="title"]').fill(`老旧小区排水管网统筹改造 ${run}`);
  await box.locator('textarea[name="measure"]').fill('纳入年度城建计划，汛前逐小区排查疏通');
  await box.locator('select[name="unit_id"]').selectOption({ index: 1 });
  await box.locator('button[type="submit"]').click();
  const notice = page.getByTestId('case-item');
  await expect(notice).toContainText(`老旧小区排水管网统筹改造 ${run}`);
  await expect(page.locator('.timeline li[data-kind="coordinated"]')).toHaveCount(1);

  // The supervisor reports progress on the item.
  await signOut(page);
  await signIn(page, 'leader');
  await page.goto('/items');
  await hydrated(page);
  await page.getByRole('link', { name: `老旧小区排水管网统筹改造 ${run}` }).click();
  await expect(page.getByTestId('item')).toBeVisible();
  await hydrated(page);
  const linked = page.getByTestId('linked');
  await expect(linked.locator(`tr[data-code="${first}"]`)).toBeVisible();
  await expect(linked.locator(`tr[data-code="${second}"]`)).toBeVisible();
  const form = page.locator('form[data-action="update_item"]');
  await form.locator('select[name="status"]').selectOption('in_progress');
  await form.locator('textarea[name="note"]').fill('已列入明年改造计划，先行疏通主管');
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('item-status')).toHaveText('推进中');
  await expect(page.getByTestId('updates').locator('li')).toHaveCount(1);

  // Both cases follow: the notice shows the stage and the latest note, the
  // timeline records the update.
  for (const code of [first, second]) {
    await page.goto(`/cases/${code}`);
    await hydrated(page);
    const n = page.getByTestId('case-item');
    await expect(n).toHaveAttribute('data-status', 'in_progress');
    await expect(n.getByTestId('item-latest')).toContainText('已列入明年改造计划');
    await expect(page.locator('.timeline li[data-kind="coordination_update"]')).toHaveCount(1);
  }
});
