import { test, expect, Response } from '@playwright/test';

// Residents' pages are sent without the app's WASM: a first load on a cheap
// phone is the HTML, the stylesheet and the icon. The budget is 300 KB in
// all, counted before compression (what travels is less).
const BUDGET = 300 * 1024;

const PUBLIC = ['/', '/track', '/track/K7QM-3XPA', '/report', '/stats', '/wall', '/stations/1'];

test("a resident's first load of each public page stays within 300 KB and loads no app code", async ({ page }) => {
  for (const path of PUBLIC) {
    const loaded: { url: string; bytes: number }[] = [];
    const pending: Promise<void>[] = [];
    const listener = (res: Response) => {
      pending.push(
        res
          .body()
          .catch(() => Buffer.alloc(0))
          .then((body) => {
            loaded.push({ url: res.url(), bytes: body.length });
          }),
      );
    };
    page.on('response', listener);
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    page.off('response', listener);
    await Promise.all(pending);
    const app = loaded.filter((r) => /\/pkg\/.*\.(js|wasm)$/.test(r.url));
    expect(app, `${path} loads the app's code`).toEqual([]);
    const total = loaded.reduce((n, r) => n + r.bytes, 0);
    expect(total, `${path}: ${JSON.stringify(loaded)}`).toBeLessThan(BUDGET);
  }
  // A staff page still loads the app (and hydrates), compressed ahead of
  // time (brotli in a release, gzip in a debug build), under names made of
  // its content that the browser keeps for a year.
  const wasm = page.waitForResponse((r) => /\/pkg\/lianxin\.[0-9a-f]{16}\.wasm$/.test(r.url()));
  await page.goto('/login');
  const sent = await wasm;
  expect(['br', 'gzip']).toContain(sent.headers()['content-encoding']);
  expect(sent.headers()['content-type']).toBe('application/wasm');
  expect(sent.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  const css = await page.request.get(await page.locator('link#leptos').getAttribute('href') as string);
  expect(css.url()).toMatch(/\/pkg\/lianxin\.[0-9a-f]{16}\.css$/);
  expect(css.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
});

test('a page sent without the app still switches language and comes back to itself', async ({ page }) => {
  await page.goto('/stats');
  await expect(page.locator('body[data-static="true"]')).toHaveCount(1);
  await page.locator('header a.lang').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  expect(new URL(page.url()).pathname).toBe('/stats');
  await page.locator('header a.lang').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await page.context().clearCookies();
});
