import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import { apiSignIn, listCases } from './staff-api';

test('overdue cases are escalated to the supervisor\'s board; the office issues a printable letter; the board marks it', async ({ page, request }) => {
  // An overdue case of the director's community, with its clock running.
  await apiSignIn(request, 'director');
  const overdue = (await listCases(request, { overdue: 'true', step: 'handle' }))[0];
  expect(overdue, 'the demo has an overdue case in handling').toBeTruthy();

  // The director sees the case but cannot issue letters.
  await signIn(page, 'director');
  await page.goto(`/cases/${overdue.code}`);
  await expect(page.getByTestId('status')).toBeVisible();
  await expect(page.locator('form[data-action="issue_letter"]')).toHaveCount(0);

  await page.context().clearCookies();
  await signIn(page, 'leader');
  await page.goto(`/cases/${overdue.code}`);
  await hydrated(page);
  const form = page.locator('form[data-action="issue_letter"]');
  await form.locator('textarea[name="demand"]').fill('请于3日内完成整改并书面回复市委督查室。');
  await form.locator('input[name="reply_days"]').fill('3');
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId('letter')).toBeVisible();
  await expect(page.getByTestId('letter-number')).toHaveText(/^吕督〔\d{4}〕\d+号$/);
  await expect(page.getByTestId('letter-demand')).toHaveText('请于3日内完成整改并书面回复市委督查室。');
  await expect(page.getByTestId('letter-checkpoint')).not.toBeEmpty();
  await expect(page.getByTestId('letter-reply-by')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  await expect(page.locator('article.letter')).toContainText(overdue.code);

  // Printed on A4, without the site's header.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header.top')).toBeHidden();
  await page.emulateMedia({ media: 'screen' });

  // The case's timeline records it, and the director's board shows the card as supervised.
  await page.goto(`/cases/${overdue.code}`);
  await expect(page.locator('.timeline li[data-kind="letter"]')).toHaveCount(1);

  // The 13710 job escalated the overdue case: the supervisor's board marks it,
  // and can be narrowed to what was escalated.
  await page.goto('/board?escalated=1');
  await hydrated(page);
  await expect(page.locator(`li[data-code="${overdue.code}"]`).getByTestId('escalated')).toBeVisible();
  const cards = page.locator('li.card-item');
  const shown = await cards.count();
  expect(shown).toBeGreaterThan(0);
  await expect(page.locator('li.card-item [data-testid="escalated"]')).toHaveCount(shown);
  await expect(page.getByTestId('escalated-count')).toHaveText(String(shown));
  await page.context().clearCookies();
  await signIn(page, 'director');
  await page.goto('/board');
  await expect(page.locator(`li[data-code="${overdue.code}"]`).getByTestId('supervised')).toBeVisible();
});
