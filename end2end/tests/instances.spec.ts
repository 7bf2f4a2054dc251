import { test, expect, request as newRequest } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import { apiSignIn, listCases } from './staff-api';

// Two `lianxin serve` instances on one PostgreSQL database, started by
// scripts/test next to the SQLite server the other journeys use. Without
// them this journey fails (it is never skipped).
const A = process.env.LIANXIN_INSTANCE_A ?? 'http://127.0.0.1:3101';
const B = process.env.LIANXIN_INSTANCE_B ?? 'http://127.0.0.1:3102';

async function healthy(base: string) {
  await expect
    .poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status ?? 0, { timeout: 60_000 })
    .toBe(200);
}

test('a change made through one instance reaches a board served by another within a second', async ({ browser }) => {
  await healthy(A);
  await healthy(B);
  const context = await browser.newContext({ baseURL: B });
  const board = await context.newPage();
  await signIn(board, 'director');
  await board.goto('/board');
  await hydrated(board);
  await expect(board.locator('.live[data-live="true"]')).toBeVisible();
  await board.evaluate(() => ((window as any).__notReloaded = true));

  // Another director works through instance A.
  const api = await newRequest.newContext({ baseURL: A });
  await apiSignIn(api, 'director');
  const [registered] = await listCases(api, { step: 'register' });
  const card = board.locator(`li[data-code="${registered.code}"]`);
  await expect(board.locator('[data-step="register"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible();
  const res = await api.post('/api/perform', {
    form: { code: registered.code, kind: 'start_consolidation' },
    headers: { Accept: 'application/json' },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  await expect(board.locator('[data-step="consolidate"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible({
    timeout: 1000,
  });
  await expect(card).toHaveClass(/flash/);
  expect(await board.evaluate(() => (window as any).__notReloaded)).toBe(true);

  // Sessions live in the shared database: A's sign-in is good on B too.
  const cookies = await api.storageState();
  const onB = await newRequest.newContext({ baseURL: B, storageState: cookies });
  const mine = await listCases(onB, { step: 'consolidate' });
  expect(mine.map((c) => c.code)).toContain(registered.code);
  await Promise.all([api.dispose(), onB.dispose(), context.close()]);
});
