import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { hydrated } from './helpers';
import { apiSignIn, caseDetail, listCases } from './staff-api';

async function noSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
}

test('every public page passes axe without serious or critical violations', async ({ page, request }) => {
  await apiSignIn(request, 'admin');
  const [rated] = await listCases(request, { step: 'rate' });
  const { code, pin } = await caseDetail(request, rated.code);

  for (const path of ['/', '/track', '/report', '/stats', '/login', '/wall', '/stations/1', '/party/register', `/track/${code}`]) {
    await page.goto(path);
    await hydrated(page);
    await noSeriousViolations(page, path);
  }
  // The case page itself, with its rating form.
  await page.fill('input[name="factor"]', pin);
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('public-status')).toBeVisible();
  await noSeriousViolations(page, `/track/${code} (verified)`);
});
