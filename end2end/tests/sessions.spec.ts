import { test, expect } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';

/** `YYYY-MM-DDTHH:MM` in China time, `days` from now at `hour`:00. */
function chinaLocal(days: number, hour: number) {
  const t = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
  return `${t.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00`;
}

test('a station session: scheduled at short notice, three requests and a commitment in session mode, closed, then in the next brief', async ({ page }) => {
  const run = Date.now().toString(36);
  await signIn(page, 'director');
  await page.getByRole('link', { name: '接待日', exact: true }).click();
  await hydrated(page);
  const station = page.locator('ul.stations li').first();
  const stationId = await station.getAttribute('data-station');
  await station.getByRole('link', { name: '接待日准备' }).click();
  await expect(page.getByTestId('brief')).toBeVisible();
  await hydrated(page);

  // Tomorrow evening, with the leader: less than three days' notice is flagged.
  const form = page.locator('form[data-action="schedule_session"]');
  await form.locator('input[name="starts_at"]').fill(chinaLocal(1, 19));
  await form.locator('input[name="topic"]').fill(`物业服务面对面 ${run}`);
  await form.locator('label[data-member] input').first().check();
  await form.locator('button[type="submit"]').click();
  const next = page.getByTestId('next-session');
  await expect(next).toContainText(`物业服务面对面 ${run}`);
  await expect(next.getByTestId('short-notice')).toBeVisible();

  // Session mode: three requests in a row, each heard by the leader.
  await next.locator('a').first().click();
  await expect(page.getByTestId('session')).toBeVisible();
  await hydrated(page);
  const quick = page.locator('form[data-action="register_at_session"]');
  const codes: string[] = [];
  for (const [i, title] of ['楼道照明坏了', '垃圾清运不及时', '小区大门门禁失灵'].entries()) {
    await quick.locator('input[name="title"]').fill(`${title} ${run}`);
    await quick.locator('textarea[name="description"]').fill(`${title}，居民在接待日当面反映`);
    await quick.locator('input[name="resident_name"]').fill('王秀英');
    await quick.locator('input[name="resident_phone"]').fill(`1390000${String(1000 + i)}`);
    await quick.locator('button[type="submit"]').click();
    await expect(page.locator('[data-testid="session-cases"] tbody tr')).toHaveCount(i + 1);
    const code = (await page.getByTestId('registered').locator('a').first().textContent())!.trim();
    // Photos taken at the session go straight to the new case.
    await expect(page.getByTestId('session-add-photos')).toHaveAttribute('href', `/cases/${code}#photos`);
    codes.push(code);
  }
  expect(new Set(codes).size).toBe(3);

  // A commitment on the first request, due in two weeks.
  const commit = page.locator('form[data-action="add_commitment"]');
  await commit.locator('input[name="text"]').fill('两周内完成楼道灯更换');
  const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await commit.locator('input[name="due_on"]').fill(due);
  await commit.locator('select[name="case"]').selectOption(codes[0]);
  await commit.locator('button[type="submit"]').click();
  await expect(page.locator('[data-testid="commitments"] tbody tr')).toHaveCount(1);
  await expect(page.locator('[data-testid="commitments"] tbody tr')).toHaveAttribute('data-delivery', 'pending');

  // Close with the head-count and the minutes.
  const close = page.locator('form[data-action="close_session"]');
  await close.locator('input[name="residents"]').fill('18');
  await close.locator('textarea[name="minutes"]').fill('现场登记问题 3 件，承诺 1 项。');
  await close.locator('button[type="submit"]').click();
  await expect(page.getByTestId('session')).toHaveAttribute('data-status', 'closed');
  await expect(page.getByTestId('minutes')).toContainText('现场登记问题 3 件');

  // The brief for the next session lists the three with where they stand.
  await page.goto(`/stations/${stationId}/brief`);
  await hydrated(page);
  for (const code of codes) {
    await expect(page.locator(`[data-testid="raised"] tr[data-code="${code}"]`)).toContainText('已登记');
  }
  await expect(page.getByTestId('commitments')).toContainText('两周内完成楼道灯更换');

  // The leader's own page lists what they heard and what they promised.
  await signOut(page);
  await signIn(page, 'leader');
  await page.goto('/visits');
  await hydrated(page);
  const visits = page.getByTestId('visits');
  for (const code of codes) {
    await expect(visits.locator(`tr[data-code="${code}"]`)).toBeVisible();
  }
  await expect(visits.getByTestId('commitments')).toContainText('两周内完成楼道灯更换');
  // A private address a calendar app can subscribe to without signing in.
  await expect(visits.getByTestId('my-calendar')).toHaveAttribute('href', /\/calendar\/people\/\d+-[0-9a-f]{24}\.ics$/);
  const myCalendar = (await visits.getByTestId('my-calendar').getAttribute('href'))!;

  // The station's public page shows the upcoming session, and nobody's phone.
  await signOut(page);
  const subscribed = await page.request.get(myCalendar);
  expect(subscribed.ok()).toBeTruthy();
  expect(await subscribed.text()).toContain('BEGIN:VCALENDAR');
  expect((await page.request.get(myCalendar.replace(/-[0-9a-f]+\.ics$/, '.ics'))).status()).toBe(401);
  await page.goto(`/stations/${stationId}`);
  await expect(page.locator('[data-testid="upcoming"] li')).not.toHaveCount(0);
  await expect(page.getByTestId('station')).not.toContainText('13900001000');
  const ics = await page.request.get(`/calendar/stations/${stationId}.ics`);
  expect(ics.ok()).toBeTruthy();
  // Long lines are folded (RFC 5545): unfold before reading.
  expect((await ics.text()).replace(/\r?\n[ \t]/g, '')).toContain(`物业服务面对面 ${run}`);
});
