import { test, expect } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';
import { apiSignIn, listCases } from './staff-api';

test('registering a request that reads like an open case of the community offers that case', async ({ page, request }) => {
  await apiSignIn(request, 'director');
  const open = (await listCases(request, { step: 'handle' }))[0] as { code: string; title: string };
  expect(open, 'the demo has a case being handled').toBeTruthy();

  await signIn(page, 'director');
  await page.goto('/intake');
  await hydrated(page);
  await expect(page.getByTestId('similar')).toHaveCount(0);
  // The same problem in the resident's words; leaving the field asks.
  await page.fill('textarea[name="description"]', `${open.title}，好几天了，请尽快处理`);
  await page.locator('textarea[name="description"]').press('Tab');
  const offered = page.getByTestId('similar');
  await expect(offered.locator(`li[data-code="${open.code}"]`)).toBeVisible();
  await expect(offered.locator(`a[href="/cases/${open.code}"]`)).toBeVisible();

  // Something else entirely offers nothing.
  await page.fill('textarea[name="description"]', '希望社区组织一次象棋比赛');
  await page.locator('textarea[name="description"]').press('Tab');
  await expect(page.getByTestId('similar')).toHaveCount(0);
});

test('a problem registered again where the same kind was just closed is flagged for the supervisor', async ({ page, request }) => {
  await apiSignIn(request, 'director');
  type Summary = { code: string; place: string; category_id: number; closed_at: string | null };
  const closed = ((await listCases(request, { step: 'closed' })) as unknown as Summary[])
    .filter((c) => c.closed_at && Date.now() - Date.parse(c.closed_at) < 80 * 86_400_000)
    .sort((a, b) => Date.parse(b.closed_at!) - Date.parse(a.closed_at!))[0];
  expect(closed, 'the demo closed a case in the last 80 days').toBeTruthy();

  await signIn(page, 'director');
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', '问题又出现了');
  await page.selectOption('select[name="category_id"]', String(closed.category_id));
  await page.fill('textarea[name="description"]', '上次修好没多久，现在又出现同样的问题。');
  await page.selectOption('select[name="region_id"]', { label: closed.place });
  await page.fill('input[name="resident_name"]', '赵建国');
  await page.fill('input[name="resident_phone"]', '13700001234');
  await page.click('main form button[type="submit"]');
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();

  // The case file says which case it repeats; the timeline notes it.
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await expect(page.getByTestId('recurs')).toContainText(closed.code);
  await expect(page.locator('.timeline li[data-kind="recurrence"]')).toHaveCount(1);

  // The supervisor's board narrows to recurrences, each marked.
  await signOut(page);
  await signIn(page, 'leader');
  await page.goto('/board?recurring=1');
  await hydrated(page);
  const card = page.locator(`[data-code="${code}"]`);
  await expect(card.getByTestId('recurring')).toBeVisible();
  const tags = page.locator('.board [data-code]');
  await expect(tags).not.toHaveCount(0);
  const n = await tags.count();
  await expect(page.locator('.board [data-code] [data-testid="recurring"]')).toHaveCount(n);
});
