import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

test('lookups are rate-limited per address, with a message saying when to try again', async ({ page, request }) => {
  // The form first: the quota refills one lookup every few seconds, so the
  // click must follow right after the quota is spent.
  await page.goto('/track');
  await hydrated(page);
  await page.fill('input[name="code"]', '2222-2222');
  await page.fill('input[name="factor"]', '1234');
  // Spend what is left of this minute's quota through the API, then try in
  // the browser. Malformed codes count against the address like any lookup,
  // without locking a real code's second factor.
  for (let i = 0; i < 60; i++) {
    const res = await request.post('/api/track_lookup', {
      form: { code: 'ABC', factor: '1234' },
      headers: { Accept: 'application/json' },
    });
    if (res.status() === 429) break;
    expect(res.status()).toBe(400);
  }
  await page.click('main form button[type="submit"]');
  await expect(page.getByRole('alert')).toContainText(/尝试次数过多，请 \d+ 秒后再试/);
});
