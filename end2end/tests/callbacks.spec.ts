import { test, expect, Page } from '@playwright/test';
import { act, hydrated, signIn } from './helpers';

/** A new request the director answers on the spot and feeds back: it waits for a rating. */
async function awaitingRating(page: Page, title: string): Promise<string> {
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', title);
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.fill('textarea[name="description"]', `${title}，老人晚上出门看不清。`);
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区 / 1号楼' });
  await page.fill('input[name="resident_name"]', '赵桂芝');
  await page.fill('input[name="resident_phone"]', '13700001234');
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('receipt')).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await act(page, 'start_consolidation');
  await act(page, 'answer_on_spot', { text: '已联系物业当天更换灯泡' });
  await act(page, 'record_feedback', { text: '' });
  await expect(page.getByTestId('status')).toHaveText('待评议');
  return code;
}

/** Records one call on the case page's call form. */
async function recordCall(page: Page, outcome: string, via?: string, note?: string) {
  const form = page.locator('form[data-action="record_call"]');
  await form.locator(`input[name="outcome"][value="${outcome}"]`).check();
  if (via) await form.locator('select[name="via"]').selectOption({ label: via });
  if (note) await form.locator('textarea[name="note"]').fill(note);
  await form.locator('button[type="submit"]').click();
}

/** Ratings given by callback in the staff figures' total ("online / in person / callback"). */
async function ratedByCallback(page: Page): Promise<number> {
  await page.goto('/figures?by=community');
  const total = await page.locator('[data-testid="figures-table"] tfoot td').last().textContent();
  return Number(total!.split('/')[2]);
}

test('a callback that gets no answer is recorded, then "dissatisfied" by phone sends the case to rework', async ({
  page,
}) => {
  await signIn(page, 'director');
  const code = await awaitingRating(page, '单元门口路灯不亮');
  const before = await ratedByCallback(page);
  await page.goto(`/cases/${code}`);
  await hydrated(page);

  // Closing unrated is not offered before anyone has called.
  await expect(page.locator('form[data-action="close_unrated"]')).toHaveCount(0);

  await recordCall(page, 'no_answer');
  const call = page.locator('.timeline li[data-kind="record_call"]');
  await expect(call).toHaveCount(1);
  await expect(call).toContainText('无人接听');
  await expect(call).toContainText('李卫东');
  await expect(page.getByTestId('calls').first()).toContainText('1 次');
  await expect(page.getByTestId('status')).toHaveText('待评议');

  await recordCall(page, 'dissatisfied', '电话回访评价', '灯还是一闪一闪的');
  const rated = page.locator('.timeline li[data-kind="rate_dissatisfied"]');
  await expect(rated).toHaveCount(1);
  await expect(rated).toContainText('电话回访评价');
  await expect(rated).toContainText('灯还是一闪一闪的');
  await expect(page.getByTestId('status')).toHaveText('不满意重办');
  await expect(page.locator('form[data-action="record_call"]')).toHaveCount(0);

  // The figures count it as a rating given by callback; the public ones
  // (cached for a minute) say how the city's ratings came.
  expect(await ratedByCallback(page)).toBe(before + 1);
  await page.goto('/stats');
  const channels = page.getByTestId('rated-by');
  await expect(channels.locator('[data-via="online"]')).toContainText('网上评价');
  await expect(channels.locator('[data-via="callback"]')).toHaveText(/电话回访评价 [1-9]\d*/);
});

test('after a refusal the station may close the case unrated', async ({ page }) => {
  await signIn(page, 'director');
  await awaitingRating(page, '楼道声控灯失灵');
  await recordCall(page, 'refused', undefined, '居民说不用评了');
  await expect(page.locator('.timeline li[data-kind="record_call"]')).toContainText('拒绝评价');
  await act(page, 'close_unrated');
  await expect(page.getByTestId('status')).toHaveText('已销号');
});

test('the callback list masks numbers, shows one on request and records a call', async ({ page }) => {
  await signIn(page, 'director');
  await page.goto('/callbacks');
  await hydrated(page);
  await expect(page.locator('main h1')).toHaveText('回访名单');
  // The demo's station has cases that waited days for a rating.
  const first = page.locator('.callback-list > li').first();
  await expect(first).toBeVisible();
  const masked = (await first.getByTestId('phone-masked').textContent())!;
  expect(masked).toMatch(/^\d{3}\*{4}\d{4}$/);
  await first.getByRole('button', { name: '显示号码' }).click();
  await expect(first.getByTestId('phone')).toHaveText(/^1\d{10}$/);
  await expect(first.getByTestId('phone')).toHaveAttribute('href', /^tel:1\d{10}$/);

  const code = (await first.getAttribute('data-code'))!;
  const before = (await first.getByTestId('calls').textContent())!;
  await first.locator('input[name="outcome"][value="no_answer"]').check();
  await first.locator('form[data-action="record_call"] button[type="submit"]').click();
  const again = page.locator(`.callback-list > li[data-code="${code}"]`);
  await expect(again.getByTestId('calls')).not.toHaveText(before);

  // Units have no callback list.
  await page.context().clearCookies();
  await signIn(page, 'handler');
  await expect(page.locator('nav a[href="/callbacks"]')).toHaveCount(0);
});
