import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import { apiSignIn, listCases } from './staff-api';

test('a supervisor reads the audit trail of a case and of a user; the chain is intact; a director may not', async ({ page, request }) => {
  await apiSignIn(request, 'director');
  const closed = (await listCases(request, { step: 'closed' }))[0];
  expect(closed, 'the demo has a closed case').toBeTruthy();

  await signIn(page, 'leader');
  await page.goto('/audit');
  await hydrated(page);
  await page.fill('input[name="case"]', closed.code);
  await page.click('form.filters button[type="submit"]');
  await expect(page).toHaveURL(new RegExp(`case=${closed.code}`));
  await expect(page.getByTestId('chain')).toHaveAttribute('data-intact', 'true');
  const entries = page.getByTestId('audit-entry');
  await expect(entries.first()).toHaveAttribute('data-action', 'case.registered');
  await expect(entries.last()).toContainText('closed');

  await page.goto('/audit?user=director');
  await expect(page.getByTestId('audit-entry').first()).toContainText('袁家庄');

  await page.context().clearCookies();
  await signIn(page, 'director');
  await page.goto(`/audit?case=${closed.code}`);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByTestId('audit-entry')).toHaveCount(0);
});
