import { test, expect } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';

test('a micro-wish goes from collected to fulfilled and leaves the public wall', async ({ page, browser }) => {
  const title = `想要一台助听器 ${Date.now().toString(36)}`;
  const wall = await browser.newPage();
  const onWall = () => wall.locator('[data-testid="wall"] li', { hasText: title });

  await signIn(page, 'grid');
  await page.getByRole('link', { name: '微心愿' }).click();
  await hydrated(page);
  const form = page.locator('form[data-action="collect_wish"]');
  await form.locator('input[name="title"]').fill(title);
  await form.locator('textarea[name="detail"]').fill('独居老人听力下降');
  await form.locator('input[name="resident_name"]').fill('刘秀英');
  await form.locator('input[name="resident_phone"]').fill('13800007777');
  await form.locator('button[type="submit"]').click();
  const row = page.locator(`[data-testid="wishes"] tr[data-title="${title}"]`);
  await expect(row).toHaveAttribute('data-status', 'collected');

  // Not on the wall until verified.
  await wall.goto('/wall');
  await expect(onWall()).toHaveCount(0);
  const step = async (name: string, to: string, claimant?: string) => {
    const f = row.locator(`form[data-step="${name}"]`);
    if (claimant) await f.locator('input[name="claimant"]').fill(claimant);
    await f.locator('button[type="submit"]').click();
    await expect(row).toHaveAttribute('data-status', to);
  };
  await step('verify', 'published');
  await wall.reload();
  await expect(onWall()).toContainText('刘*英');
  await expect(wall.locator('[data-testid="wall"]')).not.toContainText('13800007777');

  // Claimed, released (back on the wall unclaimed), claimed again, fulfilled.
  await step('claim', 'claimed', '王建国（在职党员）');
  await expect(row.locator('form[data-step="withdraw"]')).toHaveCount(0);
  await step('cancel_claim', 'published');
  await step('claim', 'claimed', '国网吕梁供电公司党支部');
  await wall.reload();
  await expect(onWall()).toContainText('国网吕梁供电公司党支部');
  await step('fulfil', 'fulfilled');
  await step('confirm', 'confirmed');
  await wall.reload();
  await expect(onWall()).toHaveCount(0);
  await signOut(page);
});
