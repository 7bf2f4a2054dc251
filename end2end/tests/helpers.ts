import { expect, Page } from '@playwright/test';

export const PASSWORD = 'lianxin-demo';

/**
 * Waits until the page is ready for clicks: hydrated by the WASM, or a
 * resident's page sent without it (plain forms and links, ready at once).
 */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"], body[data-static="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, username: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('who')).toBeVisible();
}

export async function signOut(page: Page) {
  await page.context().clearCookies();
}

/** Submits the action form of the given kind on a staff case page. */
export async function act(page: Page, kind: string, fill?: Record<string, string>) {
  const form = page.locator(`form[data-action="${kind}"]`);
  await expect(form).toBeVisible();
  for (const [name, value] of Object.entries(fill ?? {})) {
    const field = form.locator(`[name="${name}"]`);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') {
      await field.selectOption({ label: value });
    } else {
      await field.fill(value);
    }
  }
  // Done when the timeline shows one more entry of this kind.
  const entries = page.locator(`.timeline li[data-kind="${kind}"]`);
  const before = await entries.count();
  await form.locator('button[type="submit"]').click();
  try {
    await expect(entries).toHaveCount(before + 1);
  } catch (e) {
    // Name what the page said, so a refused action reads as the server's reason.
    const alerts = await page.getByRole('alert').allTextContents();
    throw new Error(`${kind} added no timeline entry; the page says: ${JSON.stringify(alerts)}\n${e}`);
  }
}
