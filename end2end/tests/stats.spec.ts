import { test, expect } from '@playwright/test';

for (const js of [true, false]) {
  test.describe(`JavaScript ${js ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: js });

    test('public figures drill down from the city to a community', async ({ page }) => {
      await page.goto('/stats');
      await expect(page.getByTestId('headline')).toHaveText(/^收集问题 \d+ 个，办结 \d+ 个$/);
      await expect(page.locator('svg.chart')).toHaveCount(2);
      await expect(page.locator('table.figures').first()).toBeVisible();
      await page.locator('table.figures').getByRole('link', { name: '离石区' }).click();
      await page.locator('table.figures').getByRole('link', { name: '凤山街道' }).click();
      await page.locator('table.figures').getByRole('link', { name: '袁家庄社区' }).click();
      await expect(page.locator('h1')).toContainText('袁家庄社区');
      await expect(page.getByTestId('headline')).toHaveText(/^收集问题 \d+ 个，办结 \d+ 个$/);
    });
  });
}
