import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('pages load and staff pages hydrate under a strict Content-Security-Policy without violations', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
  });
  for (const path of ['/track', '/report', '/stats']) {
    const res = await page.goto(path);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    await hydrated(page);
  }
  await signIn(page, 'director');
  await page.goto('/board');
  await hydrated(page);
  await expect(page.locator('.live[data-live="true"]')).toHaveCount(1);
  expect(violations).toEqual([]);
});
