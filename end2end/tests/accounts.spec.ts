import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';

async function logIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('main form button[type="submit"]');
}

test('an administrator creates an account; its holder must change the initial password (a too simple one refused), signs out everywhere; a reset and a disable take effect', async ({ page, browser }) => {
  // A fresh username, so the journey can run again on the same database.
  const username = `wm${Date.now().toString(36)}`;
  await signIn(page, 'admin');
  await page.getByRole('link', { name: '账户', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);

  // Create a director of 袁家庄社区.
  const create = page.getByTestId('create-account');
  await create.locator('input[name="username"]').fill(username);
  await create.locator('input[name="display_name"]').fill('王敏（袁家庄社区副主任）');
  await create.locator('select[name="role"]').selectOption('director');
  const community = await create
    .locator('select[name="region_id"] option', { hasText: /袁家庄社区$/ })
    .first()
    .getAttribute('value');
  await create.locator('select[name="region_id"]').selectOption(community!);
  await create.locator('button[type="submit"]').click();
  const initial = (await page.getByTestId('once-password').textContent())!.trim();
  expect(initial.length).toBeGreaterThanOrEqual(12);
  const row = page.locator(`tr[data-account="${username}"]`);
  await expect(row.locator('[data-state]')).toHaveAttribute('data-state', 'must_change');

  // The new director signs in with it and is sent to change it first.
  const desk = await browser.newContext();
  const wang = await desk.newPage();
  await logIn(wang, username, initial);
  await expect(wang).toHaveURL(/\/account$/);
  await expect(wang.getByTestId('must-change')).toBeVisible();
  await expect(wang.getByRole('link', { name: '看板' })).toHaveCount(0);
  await wang.goto('/cases');
  await expect(wang.getByRole('alert').first()).toContainText('修改');

  await wang.goto('/account');
  await hydrated(wang);
  const change = wang.getByTestId('change-password');
  await change.locator('input[name="old_password"]').fill(initial);
  // Long enough for the browser, too simple for the server: a field message.
  await change.locator('input[name="new_password"]').fill('aaaaaaaaaaaa');
  await change.locator('input[name="repeat_password"]').fill('aaaaaaaaaaaa');
  await change.locator('button[type="submit"]').click();
  await expect(change.getByRole('alert').first()).toContainText('过于简单');
  const chosen = 'Liaison-station-2026';
  await change.locator('input[name="new_password"]').fill(chosen);
  await change.locator('input[name="repeat_password"]').fill(chosen);
  await change.locator('button[type="submit"]').click();
  // Their start page: what waits for them.
  await expect(wang).toHaveURL(/:\d+\/$/);
  await expect(wang.getByTestId('my-day')).toBeVisible();

  // The same person on a phone; signing out everywhere on the desk ends both.
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await logIn(phone, username, chosen);
  await expect(phone).toHaveURL(/:\d+\/$/);
  await wang.goto('/account');
  await hydrated(wang);
  await wang.getByTestId('sign-out-everywhere').locator('button').click();
  await expect(wang).toHaveURL(/\/login$/);
  await phone.goto('/cases');
  await expect(phone.getByTestId('who')).toHaveCount(0);
  await expect(phone.getByRole('alert').first()).toContainText('登录');

  // The administrator opens the account, renames it, resets its password.
  await page.reload();
  await hydrated(page);
  await row.getByRole('link', { name: username }).click();
  await expect(page).toHaveURL(/\/admin\/users\/\d+$/);
  await hydrated(page);
  const edit = page.getByTestId('edit-account');
  await edit.locator('input[name="display_name"]').fill('王敏（袁家庄社区主任）');
  await edit.locator('button[type="submit"]').click();
  await expect(edit.getByRole('status')).toBeVisible();
  await expect(page.locator('h1')).toContainText('王敏（袁家庄社区主任）');
  await page.getByTestId('reset').click();
  const temporary = (await page.getByTestId('once-password').textContent())!.trim();
  expect(temporary).not.toEqual(initial);
  await logIn(phone, username, chosen);
  await expect(phone.locator('main').getByRole('alert')).toBeVisible();
  await logIn(phone, username, temporary);
  await expect(phone).toHaveURL(/\/account$/);

  // Disabled: the sessions end and signing in fails.
  await page.getByTestId('disable').click();
  await expect(page.locator('[data-state="disabled"]')).toBeVisible();
  await phone.goto('/cases');
  await expect(phone.getByTestId('who')).toHaveCount(0);
  await logIn(phone, username, temporary);
  await expect(phone.locator('main').getByRole('alert')).toBeVisible();
  await expect(phone).toHaveURL(/\/login/);

  // Every step is in the audit trail.
  await page.goto(`/audit?user=${username}`);
  const actions = page.getByTestId('audit-entry');
  await expect(actions.first()).toHaveAttribute('data-action', 'user.disabled');
  await expect(page.locator('[data-action="user.created"]')).toHaveCount(1);
  await expect(page.locator('[data-action="user.password_changed"]')).toHaveCount(1);
  await expect(page.locator('[data-action="user.password_reset"]')).toHaveCount(1);

  await desk.close();
  await phoneContext.close();
});

test('only administrators reach the account pages', async ({ page }) => {
  await signIn(page, 'leader');
  await expect(page.getByRole('link', { name: '账户', exact: true })).toHaveCount(0);
  await page.goto('/admin/users');
  await expect(page.getByRole('alert').first()).toBeVisible();
  await expect(page.locator('tr[data-account]')).toHaveCount(0);
});

test('a staff member asks for the daily to-do digest by e-mail; an address that cannot be one is refused', async ({ page }) => {
  await signIn(page, 'handler');
  await page.goto('/account');
  await hydrated(page);
  const form = page.getByTestId('mail-settings');
  await form.locator('input[name="email"]').fill('zhang@lvliang');
  await form.locator('input[name="digest"]').check();
  await form.locator('button[type="submit"]').click();
  await expect(form).toContainText('请填写有效的电子邮箱');
  await form.locator('input[name="email"]').fill('zhang.handler@lvliang.gov.cn');
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('mail-saved')).toBeVisible();

  await page.reload();
  await hydrated(page);
  const saved = page.getByTestId('mail-settings');
  await expect(saved.locator('input[name="email"]')).toHaveValue('zhang.handler@lvliang.gov.cn');
  await expect(saved.locator('input[name="digest"]')).toBeChecked();

  // Nothing waits for an administrator: no digest to ask for.
  await page.context().clearCookies();
  await signIn(page, 'admin');
  await page.goto('/account');
  await hydrated(page);
  await expect(page.locator('main h1')).toHaveText('我的账户');
  await expect(page.getByTestId('mail-settings')).toHaveCount(0);
});
