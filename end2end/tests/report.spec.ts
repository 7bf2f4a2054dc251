import { test, expect, Page } from '@playwright/test';
import { hydrated } from './helpers';

// Markup is stored and shown as text, never as HTML.
const DESCRIPTION = '路灯坏了<b>很黑</b>，老人出行不安全。';

async function fillRequest(page: Page, description = DESCRIPTION) {
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.selectOption('select[name="region_id"]', { label: '永宁社区 / 第一网格 / 益众小区' });
  await page.fill('textarea[name="description"]', description);
  await page.fill('input[name="resident_name"]', '陈晓红');
  await page.fill('input[name="resident_phone"]', '139 0000 1111');
}

for (const js of [true, false]) {
  test.describe(`JavaScript ${js ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: js });

    test('a resident raises a request online and follows it by its QR code', async ({ page }) => {
      await page.goto('/report');
      if (js) await hydrated(page);
      await fillRequest(page);
      // People take a few seconds to fill in a form; machines do not.
      await page.waitForTimeout(3200);
      await page.click('main form button[type="submit"]');
      await expect(page.getByTestId('receipt')).toBeVisible();
      const code = (await page.getByTestId('receipt-code').textContent())!.trim();
      const pin = (await page.getByTestId('receipt-pin').textContent())!.trim();
      expect(pin).toMatch(/^\d{6}$/);
      const qr = page.getByTestId('receipt-qr');
      await expect(qr.locator('svg')).toHaveCount(1);
      const url = (await qr.getAttribute('data-url'))!;
      expect(url).toContain(`/track?code=${code}`);
      await expect(page.locator('main')).not.toContainText('13900001111');

      // The QR code opens the lookup with the code filled in; the PIN is still asked.
      await page.context().clearCookies();
      await page.goto(url);
      if (js) await hydrated(page);
      await expect(page.locator('input[name="code"]')).toHaveValue(code);
      await page.fill('input[name="factor"]', pin);
      await page.click('main form button[type="submit"]');
      await expect(page.getByTestId('public-status')).toHaveText('已登记');
      await expect(page.getByTestId('masked-name')).toHaveText('陈*红');
      await expect(page.getByTestId('masked-phone')).toHaveText('139****1111');
      await expect(page.locator('main h1')).toContainText('<b>很黑</b>');
      await expect(page.locator('main h1 b')).toHaveCount(0);
    });

    test('machines and oversized text are refused with a message', async ({ page }) => {
      await page.goto('/report');
      if (js) await hydrated(page);
      await fillRequest(page);
      await page.click('main form button[type="submit"]');
      await expect(page.getByRole('alert')).toContainText('提交未被受理');

      await page.goto('/report');
      if (js) await hydrated(page);
      await fillRequest(page);
      await page.fill('input[name="website"]', 'http://spam.example');
      await page.waitForTimeout(3200);
      await page.click('main form button[type="submit"]');
      await expect(page.getByRole('alert')).toContainText('提交未被受理');

      await page.goto('/report');
      if (js) await hydrated(page);
      await page.locator('textarea[name="description"]').evaluate((e) => e.removeAttribute('maxlength'));
      await fillRequest(page, '字'.repeat(2001));
      await page.waitForTimeout(3200);
      await page.click('main form button[type="submit"]');
      await expect(page.locator('label:has(textarea[name="description"]) .field-error')).toHaveText('内容过长');
    });
  });
}

test('the staff receipt carries the QR code too', async ({ page }) => {
  const { signIn } = await import('./helpers');
  await signIn(page, 'director');
  await page.goto('/cases');
  const code = await page.locator('table.cases tbody tr').first().getAttribute('data-code');
  await page.goto(`/cases/${code}/receipt`);
  await expect(page.getByTestId('receipt-qr').locator('svg')).toHaveCount(1);
  expect(await page.getByTestId('receipt-qr').getAttribute('data-url')).toContain(`/track?code=${code}`);
});
