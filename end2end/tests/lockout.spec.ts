import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

// Wrong answers count against the tracking code itself, from any address:
// after five wrong phone digits only the PIN printed on the receipt opens it.
test('a code whose phone digits were guessed wrong five times opens only with the receipt PIN', async ({ page, request }) => {
  const { apiSignIn, caseDetail, listCases } = await import('./staff-api');
  await apiSignIn(request, 'admin');
  const handling = await listCases(request, { step: 'handle' });
  expect(handling.length).toBeGreaterThan(1);
  // The last one: the other journeys take cases from the front.
  const { code, pin, resident_phone } = await caseDetail(request, handling[handling.length - 1].code);
  const last4 = resident_phone.replace(/\D/g, '').slice(-4);
  const wrong = (n: number) => String((Number(last4) + n) % 10000).padStart(4, '0');

  await page.goto('/track');
  await hydrated(page);
  const attempt = async (factor: string) => {
    await page.fill('input[name="code"]', code);
    await page.fill('input[name="factor"]', factor);
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/track_lookup')),
      page.click('main form button[type="submit"]'),
    ]);
  };
  for (let n = 1; n <= 5; n++) {
    await attempt(wrong(n));
    await expect(page.getByRole('alert')).toContainText('查询码或验证信息不正确');
  }
  // The right digits are refused now, and the page says what still works.
  await attempt(last4);
  await expect(page.getByRole('alert')).toContainText('手机尾号已输错多次');
  await expect(page.getByRole('alert')).toContainText('6 位查询密码');
  await attempt(pin);
  await expect(page).toHaveURL(new RegExp(`/track/${code}$`));
  await expect(page.getByTestId('public-status')).toBeVisible();
});
