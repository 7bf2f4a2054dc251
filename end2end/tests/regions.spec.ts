import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

const COMMUNITY = '吕梁市/离石区/凤山街道/袁家庄社区';

test('an administrator imports grids from CSV: a bad line stops the file, a good file imports fully', async ({ page }) => {
  const run = Date.now().toString(36);
  await signIn(page, 'admin');
  await page.getByRole('link', { name: '区域' }).click();
  await hydrated(page);
  const form = page.locator('form[data-action="import_regions"]');
  // Count once the tree has loaded (a busy machine may still be fetching it).
  await expect(page.locator('[data-testid="regions"] tr').first()).toBeVisible();
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

  // The new compound moves to another grid, then is retired (nothing hangs on it).
  const pick = async (form: string, name: string, label: RegExp) => {
    const select = page.locator(`form[data-action="${form}"] select[name="${name}"]`);
    const value = await select.locator('option', { hasText: label }).first().getAttribute('value');
    await select.selectOption(value!);
  };
  await pick('move_region', 'region', new RegExp(`小区${run}$`));
  await pick('move_region', 'parent', /袁家庄社区 \/ 第二网格$/);
  await page.locator('form[data-action="move_region"] button[type="submit"]').click();
  await expect(page.getByTestId('regions')).toContainText(`第二网格 / 小区${run}`);
  await pick('retire_region', 'region', new RegExp(`小区${run}$`));
  await page.locator('form[data-action="retire_region"] button[type="submit"]').click();
  await expect(page.getByTestId('retired')).toContainText('已撤销 1 个节点');
  await expect(page.getByTestId('regions')).not.toContainText(`小区${run}`);
  // A grid with open cases is refused, and stays.
  await pick('retire_region', 'region', /袁家庄社区 \/ 第一网格$/);
  await page.locator('form[data-action="retire_region"] button[type="submit"]').click();
  await expect(page.locator('form[data-action="retire_region"] .field-error')).toContainText('未办结案件');
});

test('a large import shows how much has gone up, then names its one bad line and imports nothing', async ({ page }) => {
  const run = Date.now().toString(36);
  await signIn(page, 'admin');
  await page.goto('/admin/regions');
  await hydrated(page);
  // Count once the tree has loaded (a busy machine may still be fetching it).
  await expect(page.locator('[data-testid="regions"] tr').first()).toBeVisible();
  const before = await page.locator('[data-testid="regions"] tr').count();
  const lines = ['上级,层级,名称', `${COMMUNITY},网格,大网格${run}`];
  for (let i = 0; i < 3000; i++) lines.push(`${COMMUNITY}/大网格${run},小区,批量导入的小区${i}号`);
  lines.push(`${COMMUNITY}/大网格${run},楼层,错层级`);
  // A slow uplink, so the upload takes a few seconds.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 40 * 1024,
  });
  const form = page.locator('form[data-action="import_regions"]');
  // Chosen as a file, as an office would: the browser reads it into the form.
  await page.getByTestId('csv-file').setInputFiles({
    name: 'regions.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n'),
  });
  await expect(form.locator('textarea[name="csv"]')).toHaveValue(/错层级/);
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('upload-progress')).toContainText('正在上传');
  await expect(page.getByTestId('upload-progress').locator('progress')).toHaveAttribute('max', /\d+/);
  await expect(page.getByTestId('import-errors').locator(`li[data-line="${lines.length}"]`)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('import-errors').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('upload-progress')).toHaveCount(0);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await expect(page.locator('[data-testid="regions"] tr')).toHaveCount(before);
});
