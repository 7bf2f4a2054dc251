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
