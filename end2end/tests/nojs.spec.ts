import { test, expect } from '@playwright/test';

// Sign-in and the resident's pages must work before (or without) the WASM.
test.use({ javaScriptEnabled: false });

test('sign-in works without JavaScript, and a wrong password says so', async ({ page }) => {
  await page.goto('/login');
  await page.fill('input[name="username"]', 'director');
  await page.fill('input[name="password"]', 'not-the-password');
  await page.click('main form button[type="submit"]');
  await expect(page.locator('.field-error')).toHaveText('用户名或密码错误');

  await page.fill('input[name="username"]', 'director');
  await page.fill('input[name="password"]', 'lianxin-demo');
  await page.click('main form button[type="submit"]');
  // The start page: what waits for the director, overdue first.
  await expect(page).toHaveURL(/:\d+\/$/);
  await expect(page.getByTestId('who')).toContainText('社区主任');
  await expect(page.getByTestId('to-do')).toBeVisible();
  await expect(page.locator('[data-testid="my-day"] table.cases tbody tr').first()).toBeVisible();
});

test('a resident looks a case up without JavaScript', async ({ page, request }) => {
  // Take a demo case that waits for its rating, as a resident holding the receipt would.
  const login = await request.post('/api/login', {
    form: { username: 'director', password: 'lianxin-demo' },
    headers: { Accept: 'application/json' },
  });
  expect(login.ok()).toBeTruthy();
  const list = await request.post('/api/list_cases', {
    form: { step: 'rate', overdue: 'false' },
    headers: { Accept: 'application/json' },
  });
  const cases = (await list.json()).items;
  expect(cases.length).toBeGreaterThan(0);
  const detail = await request.post('/api/get_case', {
    form: { code: cases[0].code },
    headers: { Accept: 'application/json' },
  });
  const { code, pin } = await detail.json();

  await page.goto('/track');
  await page.fill('input[name="code"]', code);
  await page.fill('input[name="factor"]', '000000');
  await page.click('main form button[type="submit"]');
  await expect(page.getByRole('alert')).toContainText('查询码或验证信息不正确');

  await page.fill('input[name="code"]', code);
  await page.fill('input[name="factor"]', pin);
  await page.click('main form button[type="submit"]');
  await expect(page).toHaveURL(new RegExp(`/track/${code}$`));
  await expect(page.getByTestId('public-status')).toHaveText('待评议');
  await expect(page.getByTestId('masked-name')).toHaveText(/^.\*+.?$/);
});

test('a resident rates without JavaScript: dissatisfied reopens, satisfied closes', async ({ page, request }) => {
  const { apiSignIn, caseDetail, listCases } = await import('./staff-api');
  await apiSignIn(request, 'admin');
  const due = await listCases(request, { step: 'rate' });
  expect(due.length).toBeGreaterThan(2);
  for (const [i, rating, after] of [
    [1, 'dissatisfied', '不满意重办'],
    [2, 'satisfied', '已销号'],
  ] as const) {
    const { code, pin } = await caseDetail(request, due[i].code);
    await page.goto(`/track/${code}`);
    await page.fill('input[name="factor"]', pin);
    await page.click('main form button[type="submit"]');
    await expect(page.getByTestId('public-status')).toHaveText('待评议');
    await page.check(`input[name="rating"][value="${rating}"]`);
    await page.fill('textarea[name="comment"]', '无脚本评议');
    await page.click('form.rating button[type="submit"]');
    await expect(page.getByTestId('public-status')).toHaveText(after);
    await expect(page.locator('form.rating')).toHaveCount(0);
  }
});
