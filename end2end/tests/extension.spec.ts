import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';
import { apiSignIn, listCases } from './staff-api';

/** The completion deadline as the case page prints it (China time). */
async function completionDue(page: Page): Promise<string> {
  const text = await page.locator('li[data-checkpoint="completion"]').textContent();
  return text!.match(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)![0];
}

function plusDays(stamp: string, days: number): string {
  // Calendar days in the printed local time: shift the date part only.
  const [date, time] = stamp.split(' ');
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return `${d.toISOString().slice(0, 10)} ${time}`;
}

test('a unit requests an extension; the deadline moves only when the supervision office approves', async ({ page, request }) => {
  await apiSignIn(request, 'handler');
  // A case on track, so the overdue cases other journeys rely on stay overdue.
  type Summary = { code: string; status: string; deadline: { status: string } | null };
  const cases = ((await listCases(request, { step: 'handle' })) as unknown as Summary[]).filter(
    (c) => ['awaiting_ack', 'in_progress'].includes(c.status) && c.deadline?.status !== 'overdue',
  );
  expect(cases.length, 'the unit holds a case that is on track').toBeGreaterThan(0);
  const { code } = cases[cases.length - 1];

  await signIn(page, 'handler');
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  const due = await completionDue(page);
  const form = page.locator('form[data-action="request_extension"]');
  await form.locator('input[name="days"]').fill('5');
  await form.locator('textarea[name="reason"]').fill('需协调供电公司停电后施工');
  await form.locator('button[type="submit"]').click();
  const panel = page.getByTestId('extensions');
  await expect(panel.locator('li[data-status="pending"]')).toContainText('需协调供电公司停电后施工');
  await expect(page.locator('form[data-action="request_extension"]')).toHaveCount(0);
  expect(await completionDue(page)).toEqual(due);
  await expect(page.locator('.timeline li[data-kind="extension_requested"]')).toHaveCount(1);

  // The unit cannot decide its own request.
  await expect(page.getByTestId('approve-extension')).toHaveCount(0);

  // The supervision office approves: the completion deadline moves by five days.
  await signOut(page);
  await signIn(page, 'leader');
  await page.goto(`/cases/${code}`);
  await hydrated(page);
  await page.locator('form[data-action="decide_extension"] input[name="note"]').fill('同意，请按期办结');
  await page.getByTestId('approve-extension').click();
  await expect(page.getByTestId('extensions').locator('li[data-status="approved"]')).toBeVisible();
  await expect(page.locator('li[data-checkpoint="completion"]')).toContainText(plusDays(due, 5));
  await expect(page.locator('.timeline li[data-kind="extension_approved"]')).toHaveCount(1);
});
