import { APIRequestContext, expect, test } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import { apiSignIn, registerCase } from './staff-api';

const json = { Accept: 'application/json' };

async function perform(request: APIRequestContext, code: string, kind: string, form: Record<string, string> = {}) {
  const res = await request.post('/api/perform', { form: { code, kind, ...form }, headers: json });
  expect(res.ok(), await res.text()).toBeTruthy();
}

test('the header count of what waits for me updates live, and my start page lists it', async ({ page, browser, request }) => {
  // The director starts on their day, not on the public landing page.
  await signIn(page, 'director');
  await expect(page).toHaveURL(/:\d+\/$/);
  await hydrated(page);
  await expect(page.getByTestId('my-day')).toBeVisible();
  await expect(page.getByRole('link', { name: '工作人员登录' })).toHaveCount(0);
  const count = page.getByTestId('to-do');
  const before = Number(await count.getAttribute('data-total'));
  expect(before).toBeGreaterThan(0);
  // The page and the header agree; the list puts overdue cases first.
  await expect(page.getByTestId('my-to-do')).toHaveAttribute('data-total', String(before));
  const rows = page.locator('[data-testid="my-day"] table.cases tbody tr');
  await expect(rows.first()).toBeVisible();

  // The unit's handler, in another browser, has their own count.
  const handlerContext = await browser.newContext();
  const handlerPage = await handlerContext.newPage();
  await signIn(handlerPage, 'handler');
  await hydrated(handlerPage);
  const handlerCount = handlerPage.getByTestId('to-do');
  const handlerBefore = Number(await handlerCount.getAttribute('data-total'));

  // Somebody else (a deputy's desk, here through the API) registers a
  // request in the community: the director's count rises without a reload.
  await page.evaluate(() => ((window as any).__notReloaded = true));
  await apiSignIn(request, 'director');
  const code = await registerCase(request, '楼道声控灯不亮', '2号楼三单元楼道灯坏了');
  await expect(count).toHaveAttribute('data-total', String(before + 1), { timeout: 10_000 });

  // Assigned to the handler's unit, it leaves the director's count and
  // joins the handler's, both live.
  const options = await request.post('/api/intake_options', { headers: json }).then((r) => r.json());
  const unit = options.units.find((u: { name: string }) => u.name === '离石区城市管理局');
  await perform(request, code, 'start_consolidation');
  await perform(request, code, 'assign', { unit_id: String(unit.id), class: 'ordinary' });
  await expect(count).toHaveAttribute('data-total', String(before), { timeout: 10_000 });
  await expect(handlerCount).toHaveAttribute('data-total', String(handlerBefore + 1), { timeout: 10_000 });
  expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);

  // The count leads to the start page, which counts the same; the whole
  // to-do lists the new case.
  await handlerPage.goto('/cases');
  await hydrated(handlerPage);
  await handlerCount.click();
  await expect(handlerPage).toHaveURL(/:\d+\/$/);
  await expect(handlerPage.getByTestId('my-to-do')).toHaveAttribute('data-total', String(handlerBefore + 1));
  await handlerPage.goto('/cases?mine=1');
  await expect(handlerPage.locator(`table.cases tr[data-code="${code}"]`)).toBeVisible();
  await expect(handlerPage.getByTestId('cases-range')).toHaveAttribute('data-total', String(handlerBefore + 1));
  await handlerContext.close();
});

test('a deputy starts on their next session and its brief; a resident still sees the public page', async ({ page }) => {
  await signIn(page, 'deputy');
  await expect(page).toHaveURL(/:\d+\/$/);
  await expect(page.getByTestId('my-day')).toBeVisible();
  await expect(page.getByRole('link', { name: '工作人员登录' })).toHaveCount(0);
  const next = page.getByTestId('next-session');
  await expect(next).toBeVisible();
  await next.getByRole('link', { name: '接待前简报' }).click();
  await expect(page).toHaveURL(/\/stations\/\d+\/brief$/);

  // Signed out, the start page is the residents' again.
  await page.context().clearCookies();
  await page.goto('/');
  await expect(page.getByRole('link', { name: '工作人员登录' })).toBeVisible();
  await expect(page.getByTestId('to-do')).toHaveCount(0);
});
