import { test, expect } from '@playwright/test';
import { act, hydrated, signIn, signOut } from './helpers';

test('the five-step loop, with one round of rework', async ({ page }) => {
  // 1. A director registers a resident's request.
  await signIn(page, 'director');
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', '巷口路灯不亮');
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.fill('textarea[name="description"]', '袁家庄小区3号楼旁巷口路灯坏了一周，晚上出行不便。');
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区 / 1号楼' });
  await page.fill('input[name="resident_name"]', '王丽华');
  await page.fill('input[name="resident_phone"]', '13812345678');
  await page.click('main form button[type="submit"]');
  const receipt = page.getByTestId('receipt');
  await expect(receipt).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();
  expect(code).toMatch(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);

  // 2. The station consolidates and assigns it to the city management bureau.
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await expect(page.getByTestId('status')).toHaveText('已登记');
  await act(page, 'start_consolidation');
  await act(page, 'assign', { unit_id: '离石区城市管理局', class: '一般（7日）' });
  await expect(page.getByTestId('status')).toHaveText('待签收');
  await expect(page.getByTestId('unit')).toHaveText('离石区城市管理局');
  // The station presses the unit (催办): the case stays where it is.
  await act(page, 'urge', { text: '居民再次来电，请尽快签收' });
  await expect(page.getByTestId('status')).toHaveText('待签收');

  // A handler of another unit cannot open it.
  await signOut(page);
  await signIn(page, 'handler2');
  await page.goto(`/cases/${code}`);
  await expect(page.getByRole('alert')).toContainText('无权');
  await expect(page.locator('form[data-action]')).toHaveCount(0);

  // 3. The unit acknowledges, reports progress and requests closure.
  await signOut(page);
  await signIn(page, 'handler');
  await expect(page.locator(`tr[data-code="${code}"]`)).toBeVisible();
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  // The unit reads the urging in the timeline, and cannot urge itself.
  await expect(page.locator('.timeline li[data-kind="urge"]')).toContainText('居民再次来电');
  await expect(page.locator('form[data-action="urge"]')).toHaveCount(0);
  await act(page, 'acknowledge');
  await act(page, 'report_progress', { text: '已派人现场查看，灯具损坏需更换' });
  await act(page, 'request_closure', { text: '已更换灯泡，路灯恢复照明' });
  await expect(page.getByTestId('status')).toHaveText('申请办结待审核');

  // 4. The director approves and records the feedback.
  await signOut(page);
  await signIn(page, 'director');
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await act(page, 'approve_closure');
  await act(page, 'record_feedback', { text: '已电话告知王女士，并告知联系代表' });
  await expect(page.getByTestId('status')).toHaveText('待评议');

  // 5. The resident looks it up: masked data only, and rates it dissatisfied.
  await signOut(page);
  await page.goto('/track');
  await hydrated(page);
  await page.fill('input[name="code"]', code.toLowerCase());
  await page.fill('input[name="factor"]', '5678');
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('public-status')).toHaveText('待评议');
  await expect(page.getByTestId('masked-name')).toHaveText('王*华');
  await expect(page.getByTestId('masked-phone')).toHaveText('138****5678');
  await expect(page.locator('main')).not.toContainText('王丽华');
  await expect(page.locator('main')).not.toContainText('13812345678');
  await expect(page.getByTestId('public-result')).toHaveText('已更换灯泡，路灯恢复照明');
  await page.check('input[name="rating"][value="dissatisfied"]');
  await page.fill('textarea[name="comment"]', '只亮了两天又坏了');
  await page.click('form.rating button[type="submit"]');
  await expect(page.getByTestId('public-status')).toHaveText('不满意重办');

  // Rework: the unit does it again, the director approves and feeds back.
  await signIn(page, 'handler');
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await act(page, 'request_closure', { text: '更换整套灯具和线路' });
  await signOut(page);
  await signIn(page, 'director');
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await act(page, 'approve_closure');
  await act(page, 'record_feedback', { text: '' });

  // The resident rates it satisfied: the case is struck off the ledger.
  await signOut(page);
  await page.goto(`/track/${code}`);
  await hydrated(page);
  await page.fill('input[name="factor"]', '5678');
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('public-status')).toHaveText('待评议');
  await page.check('input[name="rating"][value="satisfied"]');
  await page.click('form.rating button[type="submit"]');
  await expect(page.getByTestId('public-status')).toHaveText('已销号');

  // The director's timeline shows the whole story.
  await signIn(page, 'director');
  await page.goto(`/cases/${code}`);
  await expect(page.getByTestId('status')).toHaveText('已销号');
  await expect(page.locator('.timeline li[data-kind="rate_dissatisfied"]')).toHaveCount(1);
  await expect(page.locator('.timeline li[data-kind="rate_satisfied"]')).toHaveCount(1);
});
