import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('an administrator issues an Open311 key; a client app files a request with it; the board shows it; a revoked key is refused', async ({ page, request }) => {
  await signIn(page, 'admin');
  await page.goto('/admin/api-keys');
  await hydrated(page);
  const name = `市民App-${Date.now()}`;
  await page.getByTestId('create-key').locator('input[name="name"]').fill(name);
  await page.getByTestId('create-key').locator('button[type="submit"]').click();
  const key = (await page.getByTestId('new-key').textContent())?.trim() ?? '';
  expect(key).toMatch(/^lx_[A-Za-z0-9]{32}$/);
  const row = page.locator(`tr[data-key="${name}"]`);
  await expect(row).toBeVisible();

  // A compound of the demo director's community, as Open311 publishes places.
  const recent = await (await request.get('/open311/v2/requests.json')).json();
  const place = recent.find((r: { address: string }) => r.address.startsWith('袁家庄社区'));
  expect(place, 'a published request in 袁家庄社区').toBeTruthy();

  const created = await request.post('/open311/v2/requests.json', {
    form: {
      api_key: key,
      service_code: 'road',
      address_id: place.address_id,
      description: '小区东门外人行道塌陷，已有老人绊倒',
      first_name: '建国',
      last_name: '刘',
      phone: '13700007777',
    },
  });
  expect(created.status()).toBe(200);
  const [answer] = await created.json();
  expect(answer.service_request_id).toMatch(/^\d+$/);
  const code = /[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(answer.service_notice)?.[0];
  expect(code, answer.service_notice).toBeTruthy();

  const published = await (await request.get(`/open311/v2/requests/${answer.service_request_id}.xml`)).text();
  expect(published).toContain('<status>open</status>');
  expect(published).not.toContain('13700007777');
  expect(published).not.toContain('刘建国');

  // The community's director sees it on the board.
  await page.context().clearCookies();
  await signIn(page, 'director');
  await page.goto('/board');
  await hydrated(page);
  await expect(page.locator(`li[data-code="${code}"]`)).toContainText('小区东门外人行道塌陷');

  // Revoked: the client is refused.
  await page.context().clearCookies();
  await signIn(page, 'admin');
  await page.goto('/admin/api-keys');
  await hydrated(page);
  await row.getByTestId('revoke').click();
  await expect(row.getByTestId('revoked')).toBeVisible();
  const refused = await request.post('/open311/v2/requests.json', {
    form: { api_key: key, service_code: 'road', address_id: place.address_id, description: '再报一次' },
  });
  expect(refused.status()).toBe(403);
  const [error] = await refused.json();
  expect(error).toEqual({ code: 403, description: 'api_key is not valid' });
});
