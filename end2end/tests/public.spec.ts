import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

test('a malformed code and a wrong second factor fail cleanly', async ({ page }) => {
  await page.goto('/track');
  await hydrated(page);
  await page.fill('input[name="code"]', 'ABC');
  await page.fill('input[name="factor"]', '1234');
  await page.click('main form button[type="submit"]');
  await expect(page.getByRole('alert')).toContainText('查询码格式不正确');

  await page.fill('input[name="code"]', '2222-2222');
  await page.fill('input[name="factor"]', '1234');
  await page.click('main form button[type="submit"]');
  await expect(page.getByRole('alert')).toContainText('查询码或验证信息不正确');
  // Still the lookup (without JavaScript the error rides in the query).
  expect(new URL(page.url()).pathname).toBe('/track');
});

test('bad intake input gets field messages and saves nothing', async ({ page }) => {
  const { signIn } = await import('./helpers');
  await signIn(page, 'director');
  await page.goto('/cases?q=%E7%A9%BA%E7%99%BD%E6%A0%87%E9%A2%98');
  await expect(page.locator('.empty')).toBeVisible();
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', '空白标题');
  await page.fill('input[name="resident_phone"]', 'not a phone');
  await page.click('main form button[type="submit"]');
  await expect(page.locator('.field-error').first()).toBeVisible();
  await expect(page.locator('label:has(textarea[name="description"]) .field-error')).toHaveText('必填');
  await expect(page.locator('label:has(input[name="resident_phone"]) .field-error')).toHaveText('电话号码格式不正确');
  await page.goto('/cases?q=%E7%A9%BA%E7%99%BD%E6%A0%87%E9%A2%98');
  await expect(page.locator('.empty')).toBeVisible();
});
