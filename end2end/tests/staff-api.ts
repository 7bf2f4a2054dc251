import { APIRequestContext, expect } from '@playwright/test';

const json = { Accept: 'application/json' };

/** Signs the request context in as a demo account. */
export async function apiSignIn(request: APIRequestContext, username: string) {
  const res = await request.post('/api/login', { form: { username, password: 'lianxin-demo' }, headers: json });
  expect(res.ok()).toBeTruthy();
}

export async function listCases(request: APIRequestContext, form: Record<string, string> = {}) {
  const res = await request.post('/api/list_cases', { form: { overdue: 'false', ...form }, headers: json });
  expect(res.ok()).toBeTruthy();
  // One page (the first 200, overdue first, then newest) of the matching cases.
  return ((await res.json()) as { items: { code: string; status: string }[] }).items;
}

export async function caseDetail(request: APIRequestContext, code: string) {
  const res = await request.post('/api/get_case', { form: { code }, headers: json });
  expect(res.ok()).toBeTruthy();
  return (await res.json()) as { code: string; pin: string; resident_name: string; resident_phone: string };
}

/**
 * Registers a walk-in request in the demo compound 袁家庄小区 as the signed-in
 * staff member; returns its code.
 */
export async function registerCase(request: APIRequestContext, title: string, description: string) {
  const options = await request.post('/api/intake_options', { headers: json }).then((r) => r.json());
  const region = options.regions.find((r: { label: string }) => r.label.endsWith('袁家庄小区'));
  const res = await request.post('/api/register_case', {
    headers: json,
    form: {
      title,
      description,
      category_id: String(options.categories[0].id),
      region_id: String(region.id),
      station_id: String(options.stations[0].id),
      source: 'walk_in',
      resident_name: '郭永刚',
      resident_phone: '13911112222',
    },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  return ((await res.json()) as { code: string }).code;
}
