import { test, expect } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';

const NEED = '急需增设办公和活动场所';

test('a member registers, the director confirms, the member claims a need and logs two hours, the quarterly report shows them', async ({ page, browser }) => {
  const suffix = Date.now().toString(36);
  const username = `dm${suffix}`;
  const name = `党员${suffix}`;
  const password = 'Fudong-2026-ok';
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });

  // The public form: 报到卡 and 登记表 with the account to sign in with later.
  await page.goto('/party/register');
  await hydrated(page);
  await expect(page.getByTestId('party-headline')).toContainText('名党员到');
  const form = page.locator('form[data-action="register_member"]');
  await form.locator('input[name="display_name"]').fill(name);
  await form.locator('select[name="gender"]').selectOption('female');
  await form.locator('input[name="birth_year"]').fill('1976');
  await form.locator('input[name="joined_party"]').fill('1999-07-01');
  await form.locator('input[name="phone"]').fill('13600009999');
  await form.locator('select[name="work_unit_id"]').selectOption({ label: '吕梁市委办公室' });
  // The first home offered is 袁家庄社区 itself.
  await form.locator('input[name="address"]').fill('2号楼 1单元 402');
  await form.locator('input[name="username"]').fill(username);
  // A short password is refused on its field, and nothing else is lost.
  await form.locator('input[name="password"]').fill('short');
  await form.locator('button[type="submit"]').click();
  await expect(form.locator('.field-error')).toHaveCount(1);
  await expect(form.locator('input[name="display_name"]')).toHaveValue(name);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('member-submitted')).toBeVisible();

  // Not confirmed yet: signing in says so.
  const signInAs = async () => {
    await page.goto('/login');
    await hydrated(page);
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', password);
    await page.click('main form button[type="submit"]');
  };
  await signInAs();
  await expect(page.locator('main .field-error')).toContainText('社区确认');

  // The director confirms; a receipt number is issued.
  const director = await browser.newPage();
  await signIn(director, 'director');
  await director.goto('/party/registrations');
  await hydrated(director);
  const row = director.locator(`[data-testid="registrations"] tr[data-name="${name}"]`);
  await expect(row).toHaveAttribute('data-status', 'pending');
  await row.locator('form[data-decision="confirm"] button').click();
  await expect(row).toHaveAttribute('data-status', 'confirmed');
  await expect(row.locator('a')).toHaveText(/^HZ\d{4}D\d{6}$/);

  // The member signs in to their own page: the receipt and the need list.
  await signInAs();
  await expect(page).toHaveURL(/\/service$/);
  await hydrated(page);
  await expect(page.getByTestId('my-registration')).toHaveAttribute('data-status', 'confirmed');
  await expect(page.getByTestId('receipt-no')).toHaveText(/^HZ/);
  const receiptNo = await page.getByTestId('receipt-no').textContent();
  // The receipt (回执) to print.
  await page.getByTestId('receipt-link').click();
  await expect(page.getByTestId('party-receipt')).toContainText(name);
  await expect(page.getByTestId('party-receipt').getByTestId('receipt-no')).toHaveText(receiptNo!);
  await page.goBack();
  await hydrated(page);
  const need = page.locator(`[data-testid="need-list"] li[data-title="${NEED}"]`);
  await need.locator('input[name="pledge"]').fill('协调单位闲置会议室供社区使用');
  await need.locator('button[type="submit"]').click();
  await expect(need.locator('.badge')).toBeVisible();
  const card = page.locator('[data-testid="my-claims"] li.claim').first();
  await expect(card).toHaveAttribute('data-status', 'signed');

  // The community approves the claim card.
  await director.goto('/party/needs');
  await hydrated(director);
  const claim = director.locator(`section[data-title="${NEED}"] li[data-member="${name}"]`);
  await expect(claim).toHaveAttribute('data-status', 'signed');
  await claim.locator('form[data-step="approve"] button').click();
  await expect(claim).toHaveAttribute('data-status', 'approved');

  // Two hours of service logged.
  await page.reload();
  await hydrated(page);
  await expect(card).toHaveAttribute('data-status', 'approved');
  const log = card.locator('form[data-action="log_service"]');
  await log.locator('input[name="served_on"]').fill(today);
  await log.locator('input[name="hours"]').fill('2');
  await log.locator('input[name="note"]').fill('联系会议室，现场查看');
  await log.locator('button[type="submit"]').click();
  await expect(card.getByTestId('hours')).toHaveText('2.0');

  // The quarterly report shows them, on the page and in the file for the unit.
  await director.goto('/party/report');
  await hydrated(director);
  const line = director.locator(`[data-testid="report-members"] tr[data-name="${name}"]`);
  await expect(line).toContainText('吕梁市委办公室');
  await expect(line.locator('td').nth(4)).toHaveText('2.0');
  await expect(director.locator('[data-testid="report-units"] tr[data-name="吕梁市委办公室"]')).toBeVisible();
  const [download] = await Promise.all([
    director.waitForEvent('download'),
    director.getByTestId('report-csv').click(),
  ]);
  const fs = await import('fs');
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const mine = csv.split('\n').find((l) => l.startsWith(name));
  expect(mine).toContain(',吕梁市委办公室,');
  expect(mine).toContain(',2.0,');
  await director.close();
  await signOut(page);
});
