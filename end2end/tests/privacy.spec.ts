import { test, expect } from '@playwright/test';
import { apiSignIn, caseDetail, listCases } from './staff-api';

// Crawls every public page and public endpoint of the demo site and fails if
// any demo resident's phone number or full name appears.
test('no resident name or phone appears on any public page or endpoint', async ({ browser, request, playwright }) => {
  await apiSignIn(request, 'admin');
  const cases = await listCases(request);
  expect(cases.length).toBeGreaterThan(150);
  const people: { name: string; phone: string }[] = [];
  const details = [];
  for (const c of cases) {
    const d = await caseDetail(request, c.code);
    details.push(d);
    people.push({ name: d.resident_name, phone: d.resident_phone.replace(/\D/g, '') });
  }
  const leaks = (where: string, text: string) => {
    const digits = text.replace(/[\s-]/g, '');
    return people
      .filter((p) => text.includes(p.name) || digits.includes(p.phone))
      .map((p) => `${where}: ${p.name} / ${p.phone}`);
  };

  // Public pages, following every link that stays on the public side.
  const page = await browser.newPage();
  const seen = new Set<string>();
  const queue = ['/', '/track', '/report', '/stats', '/login', '/wall', '/stations/1', '/stations/2', '/party/register'];
  const found: string[] = [];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    await page.goto(path);
    found.push(...leaks(path, await page.content()));
    for (const href of await page.locator('a[href^="/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
      if (/^\/(track|report|stats|login|wall|stations\/\d+)?(\?|$)/.test(href) && !seen.has(href)) queue.push(href);
    }
  }
  expect(seen.size).toBeGreaterThan(8);

  // A resident's own case pages show masked data only, for cases at every step.
  const anon = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const json = { Accept: 'application/json' };
  for (const d of details.filter((_, i) => i % 40 === 0)) {
    const lookup = await anon.post('/api/track_lookup', { form: { code: d.code, factor: d.pin }, headers: json });
    expect(lookup.ok()).toBeTruthy();
    const res = await anon.post('/api/get_public_case', { form: { code: d.code }, headers: json });
    found.push(...leaks(`get_public_case ${d.code}`, await res.text()));
    const html = await anon.get(`/track/${d.code}`);
    found.push(...leaks(`/track/${d.code}`, await html.text()));
  }
  for (const endpoint of ['/api/get_public_stats', '/api/get_public_options', '/api/get_wall']) {
    const res = await anon.post(endpoint, { form: {}, headers: json });
    expect(res.ok()).toBeTruthy();
    found.push(...leaks(endpoint, await res.text()));
  }
  for (const station of ['1', '2']) {
    const res = await anon.post('/api/get_public_station', { form: { station }, headers: json });
    expect(res.ok()).toBeTruthy();
    found.push(...leaks(`get_public_station ${station}`, await res.text()));
    const ics = await anon.get(`/calendar/stations/${station}.ics`);
    expect(ics.ok()).toBeTruthy();
    found.push(...leaks(`/calendar/stations/${station}.ics`, await ics.text()));
  }
  expect(found).toEqual([]);
});
