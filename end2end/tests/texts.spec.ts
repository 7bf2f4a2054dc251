import { test, expect } from '@playwright/test';
import { readFileSync, existsSync } from 'fs';
import { hydrated, signIn } from './helpers';

// scripts/test points the server's text sink here (LIANXIN_SMS_FILE).
const SENT = process.env.LIANXIN_SMS_FILE ?? '../target/e2e/messages.log';

function textsTo(code: string): { to: string; notice: string; body: string }[] {
  if (!existsSync(SENT)) return [];
  return readFileSync(SENT, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((m) => m.body.includes(code));
}

test('a resident who asks for texts gets the code by text, staff see it sent, and the resident stops them', async ({ page, browser }) => {
  await page.goto('/report');
  await hydrated(page);
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区' });
  await page.fill('textarea[name="description"]', '小区东门路灯不亮，晚上看不见台阶。');
  await page.fill('input[name="resident_name"]', '郭桂兰');
  await page.fill('input[name="resident_phone"]', '13700002468');
  await page.check('input[name="notify"]');
  await page.waitForTimeout(3200);
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('receipt')).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();
  const pin = (await page.getByTestId('receipt-pin').textContent())!.trim();

  // The dispatcher sends within seconds: the code and PIN, to the number
  // given, which the sink keeps only masked.
  await expect.poll(() => textsTo(code).length, { timeout: 20_000 }).toBe(1);
  const [text] = textsTo(code);
  expect(text.notice).toBe('registered');
  expect(text.to).toBe('137****2468');
  expect(text.body).toContain(pin);
  expect(readFileSync(SENT, 'utf8')).not.toContain('13700002468');

  // The director sees the text in the case's timeline.
  const staff = await browser.newPage();
  await signIn(staff, 'director');
  await staff.goto(`/cases/${code}`);
  await hydrated(staff);
  await expect(staff.locator('.timeline li[data-kind="notified"]')).toContainText('登记 · 已发送');

  // The resident stops texts from the case page (sent without the app).
  await page.goto(`/track/${code}`);
  await expect(page.locator('form.texts')).toContainText('办理进展会发短信');
  await page.click('form.texts button[type="submit"]');
  await expect(page.getByTestId('public-status')).toBeVisible();
  await expect(page.locator('form.texts')).toHaveCount(0);

  // Taking the case up sends nothing now.
  await staff.reload();
  await hydrated(staff);
  await expect(staff.locator('.timeline li[data-kind="notify_stopped"]')).toHaveCount(1);
  const { act } = await import('./helpers');
  await act(staff, 'start_consolidation');
  await act(staff, 'handle_locally', { text: '社区电工今天去修' });
  await staff.waitForTimeout(2500);
  expect(textsTo(code).map((t) => t.notice)).toEqual(['registered']);
  await staff.close();
});

test('a resident may give an e-mail address: a bad one is refused, staff see a good one, and without a mail server the message goes by text', async ({ page, browser }) => {
  await page.goto('/report');
  await hydrated(page);
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区' });
  await page.fill('textarea[name="description"]', '小区西门路灯闪烁，晚上看不清路。');
  await page.fill('input[name="resident_name"]', '郭志强');
  await page.fill('input[name="resident_phone"]', '13700003579');
  await page.fill('input[name="resident_email"]', 'guo.zhiqiang@example');
  await page.check('input[name="notify"]');
  await page.waitForTimeout(3200);
  await page.click('main form button[type="submit"]');
  await expect(page.locator('main form')).toContainText('请填写有效的电子邮箱');
  // The form came back as typed: only the address needs correcting, at once.
  await expect(page.locator('textarea[name="description"]')).toHaveValue('小区西门路灯闪烁，晚上看不清路。');
  await expect(page.locator('input[name="resident_phone"]')).toHaveValue('13700003579');
  await expect(page.locator('input[name="notify"]')).toBeChecked();
  await page.fill('input[name="resident_email"]', 'guo.zhiqiang@example.cn');
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('receipt')).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();

  // The tests' server has no mail server: the message goes by text.
  await expect.poll(() => textsTo(code).length, { timeout: 20_000 }).toBe(1);
  expect(textsTo(code)[0].to).toBe('137****3579');

  const staff = await browser.newPage();
  await signIn(staff, 'director');
  await staff.goto(`/cases/${code}`);
  await hydrated(staff);
  await expect(staff.getByTestId('resident-email')).toHaveText('guo.zhiqiang@example.cn');
  await staff.close();
  // The public page never shows it.
  await page.goto(`/track/${code}`);
  await expect(page.locator('main')).not.toContainText('guo.zhiqiang');
});
