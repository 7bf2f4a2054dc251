import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

const COMMUNITY = '吕梁市/离石区/凤山街道/袁家庄社区';

test('an administrator imports grids from CSV: a bad line stops the file, a good file imports fully', async ({ page }) => {
  const run = Date.now().toString(36);
  await signIn(page, 'admin');
  await page.getByRole('link', { name: '区域' }).click();
  await hydrated(page);
  const form = page.locator('form[data-action="import_regions"]');
  const before = await page.locator('[data-testid="regions"] tr').count();

  await form.locator('textarea[name="csv"]').fill(
    `上级,层级,名称\n${COMMUNITY},网格,网格${run}\n${COMMUNITY}/不存在的网格,小区,无主小区\n`,
  );
  await form.locator('button[type="submit"]').click();
  const errors = page.getByTestId('import-errors');
  await expect(errors.locator('li[data-line="3"]')).toContainText('上级不存在');
  await expect(page.locator('[data-testid="regions"] tr')).toHaveCount(before);

  await form.locator('textarea[name="csv"]').fill(
    `上级,层级,名称\n${COMMUNITY},网格,网格${run}\n${COMMUNITY}/网格${run},小区,小区${run}\n`,
  );
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('imported')).toContainText('已导入 2 个节点');
  await expect(page.locator('[data-testid="regions"] tr')).toHaveCount(before + 2);
  await expect(page.getByTestId('regions')).toContainText(`网格${run} / 小区${run}`);
});
