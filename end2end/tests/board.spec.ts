import { test, expect, Page, APIRequestContext, Locator } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { hydrated, signIn } from './helpers';
import { apiSignIn, listCases, registerCase } from './staff-api';

const json = { Accept: 'application/json' };

async function perform(request: APIRequestContext, code: string, kind: string, form: Record<string, string> = {}) {
  const res = await request.post('/api/perform', { form: { code, kind, ...form }, headers: json });
  expect(res.ok(), await res.text()).toBeTruthy();
}

/** Drags a card by its corner onto a column, in small steps as a hand would. */
async function drag(page: Page, card: Locator, column: Locator) {
  await card.scrollIntoViewIfNeeded();
  const from = (await card.boundingBox())!;
  const to = (await column.boundingBox())!;
  await page.mouse.move(from.x + 10, from.y + 8);
  await page.mouse.down();
  await page.mouse.move(from.x + 30, from.y + 30, { steps: 5 });
  // Columns are as tall as the longest, so the card's own height is inside the target.
  await page.mouse.move(to.x + 40, from.y + 8, { steps: 10 });
  await page.mouse.up();
}

async function openBoard(page: Page, query = '') {
  await signIn(page, 'director');
  await page.goto(`/board${query}`);
  await hydrated(page);
  await expect(page.locator('.live[data-live="true"]')).toBeVisible();
}

test('a change made elsewhere reaches an open board within a second, without reloading', async ({ browser, request }) => {
  const board = await browser.newPage();
  await openBoard(board);
  await board.evaluate(() => ((window as any).__notReloaded = true));

  // Another director (a second browser) consolidates a registered case.
  await apiSignIn(request, 'director');
  const [registered] = await listCases(request, { step: 'register' });
  const card = board.locator(`li[data-code="${registered.code}"]`);
  await expect(board.locator('[data-step="register"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible();
  await perform(request, registered.code, 'start_consolidation');
  await expect(board.locator('[data-step="consolidate"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible({ timeout: 1000 });
  await expect(card).toHaveClass(/flash/);
  await expect(card.getByTestId('age')).toContainText(/^已\d+天/);

  // The director assigns it to the city management bureau; the unit's handler
  // (a third browser) acknowledges it.
  const options = await request.post('/api/intake_options', { headers: json }).then((r) => r.json());
  const unit = options.units.find((u: { name: string }) => u.name === '离石区城市管理局');
  await perform(request, registered.code, 'assign', { unit_id: String(unit.id), class: 'ordinary' });
  await expect(card).toHaveAttribute('data-status', 'awaiting_ack', { timeout: 1000 });
  const handler = await browser.newContext();
  await apiSignIn(handler.request, 'handler');
  await perform(handler.request, registered.code, 'acknowledge');
  await expect(card).toHaveAttribute('data-status', 'in_progress', { timeout: 1000 });
  await expect(board.locator('[data-step="handle"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible();
  expect(await board.evaluate(() => (window as any).__notReloaded)).toBe(true);
});

test('changes outside the filter bump a counter; filters survive a reload', async ({ page, request }) => {
  await apiSignIn(request, 'director');
  const lighting = (await request.post('/api/intake_options', { headers: json }).then((r) => r.json())).categories.find(
    (c: { code: string }) => c.code === 'lighting',
  );
  await openBoard(page, `?category=${lighting.id}`);
  const counter = page.getByTestId('outside-count');
  await expect(counter).toHaveText('0');
  // Change a registered case of another category.
  for (const c of await listCases(request, { step: 'register' })) {
    const detail = await request.post('/api/get_case', { form: { code: c.code }, headers: json }).then((r) => r.json());
    if (detail.category !== '路灯照明') {
      await perform(request, c.code, 'start_consolidation');
      break;
    }
  }
  await expect(counter).toHaveText('1', { timeout: 1000 });

  await page.reload();
  await hydrated(page);
  await expect(page.locator('select[name="category"]')).toHaveValue(String(lighting.id));
  const categories = await page.locator('.card-item .meta').first().textContent();
  expect(categories).toContain('路灯照明');
});

test('a board that lost its server catches up after the restart', async ({ browser, request }) => {
  const port = 3310;
  const start = () =>
    // The binary scripts/test serves the journeys with (the release build).
    spawn(process.env.LIANXIN_BIN ?? 'target/release/lianxin', ['serve', '--addr', `127.0.0.1:${port}`], {
      cwd: '..',
      env: { ...process.env },
      stdio: 'ignore',
    });
  const healthy = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('second instance did not start');
  };
  let second: ChildProcess = start();
  try {
    await healthy();
    // The second instance shares the database (and so the sessions) with the first.
    const page = await browser.newPage({ baseURL: `http://127.0.0.1:${port}` });
    await openBoard(page);

    second.kill('SIGTERM');
    await expect(page.locator('.live[data-live="false"]')).toBeVisible();
    // While it is down, a change is made through the first instance.
    await apiSignIn(request, 'director');
    const [registered] = await listCases(request, { step: 'register' });
    await perform(request, registered.code, 'start_consolidation');

    second = start();
    await healthy();
    await expect(page.locator('[data-step="consolidate"]').locator(`li[data-code="${registered.code}"]`)).toBeVisible({
      timeout: 10_000,
    });
    await expect(page.locator('.live[data-live="true"]')).toBeVisible();
  } finally {
    second.kill('SIGTERM');
  }
});

test('acting from the board: drag where unambiguous, side panel, keyboard', async ({ page, request }) => {
  // A fresh request registered by the director.
  await apiSignIn(request, 'director');
  const code = await registerCase(request, '单元门禁损坏', '3单元门禁坏了一周');

  await openBoard(page);
  const card = page.locator(`li[data-code="${code}"]`);
  await expect(page.locator('[data-step="register"]').locator(`li[data-code="${code}"]`)).toBeVisible();

  // Register → consolidate means one thing: it happens.
  await drag(page, card, page.locator('[data-step="consolidate"]'));
  await expect(page.locator('[data-step="consolidate"]').locator(`li[data-code="${code}"]`)).toBeVisible({ timeout: 1000 });
  await expect(card).toHaveAttribute('data-status', 'consolidating');

  // Consolidate → handle needs a route and a unit: refused, visibly, and nothing moves.
  await drag(page, card, page.locator('[data-step="handle"]'));
  await expect(page.getByTestId('refusal')).toContainText('请打开案件操作');
  await expect(card).toHaveAttribute('data-status', 'consolidating');

  // The keyboard opens the case in the side panel and closes it again.
  await card.focus();
  await page.keyboard.press('Enter');
  const panel = page.getByTestId('panel');
  await expect(panel.locator('h1')).toHaveText('单元门禁损坏');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);

  // Arrow keys move between cards.
  await card.focus();
  const column = page.locator('[data-step="consolidate"] li.card-item');
  const index = await column.evaluateAll((els, c) => els.findIndex((e) => e.getAttribute('data-code') === c), code);
  await page.keyboard.press(index > 0 ? 'ArrowUp' : 'ArrowDown');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-code'));
  expect(focused).toBeTruthy();
  expect(focused).not.toBe(code);
  await page.keyboard.press('ArrowRight');
  expect(await page.evaluate(() => document.activeElement?.closest('section.column')?.getAttribute('data-step'))).toBe('handle');

  // Acting from the panel: assign it to a unit; the card follows.
  await card.click();
  await panel.locator('form[data-action="assign"] select[name="unit_id"]').selectOption({ label: '离石区城市管理局' });
  await panel.locator('form[data-action="assign"] button[type="submit"]').click();
  await expect(card).toHaveAttribute('data-status', 'awaiting_ack', { timeout: 2000 });
  await expect(page.locator('[data-step="handle"]').locator(`li[data-code="${code}"]`)).toBeVisible();
});

test('bulk actions on selected cards', async ({ page, request }) => {
  await apiSignIn(request, 'director');
  const consolidating = (await listCases(request, { step: 'consolidate' })).filter((c) => c.status === 'consolidating');
  expect(consolidating.length).toBeGreaterThan(1);
  const [a, b] = consolidating;
  const feedback = (await listCases(request, { step: 'feedback' }))[0];

  await openBoard(page);
  await page.locator(`li[data-code="${a.code}"]`).getByTestId('pick').check();
  await page.locator(`li[data-code="${b.code}"]`).getByTestId('pick').check();
  await expect(page.getByTestId('bulk')).toContainText('已选 2 件');
  await page.locator('select[name="bulk_unit"]').selectOption({ label: '离石区住房和城乡建设局' });
  await page.getByTestId('bulk-assign').click();
  await expect(page.getByTestId('bulk-result')).toHaveText('2 件已办理，0 件当前状态不允许');
  for (const c of [a, b]) {
    await expect(page.locator(`li[data-code="${c.code}"]`)).toHaveAttribute('data-status', 'awaiting_ack');
  }
  await expect(page.getByTestId('bulk')).toHaveCount(0);

  // Feedback for a case that is due it, and for one that is not: one done, one refused.
  await page.locator(`li[data-code="${feedback.code}"]`).getByTestId('pick').check();
  await page.locator(`li[data-code="${a.code}"]`).getByTestId('pick').check();
  await page.getByTestId('bulk-feedback').click();
  await expect(page.getByTestId('bulk-result')).toHaveText('1 件已办理，1 件当前状态不允许');
  await expect(page.locator(`li[data-code="${feedback.code}"]`)).toHaveAttribute('data-status', 'awaiting_rating');
});

test('a leader narrows the board to a street', async ({ page }) => {
  await signIn(page, 'leader');
  await page.goto('/board');
  await hydrated(page);
  await page.locator('select[name="region"]').selectOption({ label: '离石区 / 凤山街道' });
  await page.locator('form.filters button[type="submit"]').click();
  await expect(page).toHaveURL(/region=\d+/);
  const places = await page.locator('.card-item .meta').evaluateAll((els) =>
    els.map((e) => e.textContent ?? '').filter((t) => t.includes('社区')),
  );
  expect(places.length).toBeGreaterThan(0);
  for (const p of places) expect(p).toMatch(/^(袁家庄社区|生态园社区)/);

  // The city's picker stops at communities; a community chosen offers its grids.
  const area = page.locator('select[name="region"]');
  const grid = '离石区 / 凤山街道 / 袁家庄社区 / 第一网格';
  await expect(area.locator('option', { hasText: grid })).toHaveCount(0);
  await area.selectOption({ label: '离石区 / 凤山街道 / 袁家庄社区' });
  await page.locator('form.filters button[type="submit"]').click();
  await hydrated(page);
  await area.selectOption({ label: grid });
  await page.locator('form.filters button[type="submit"]').click();
  await expect(area.locator('option:checked')).toHaveText(grid);
  const inGrid = await page.locator('.card-item .meta').evaluateAll((els) =>
    els.map((e) => e.textContent ?? '').filter((t) => t.includes('社区')),
  );
  for (const p of inGrid) expect(p).toMatch(/^袁家庄社区/);
});

test('a board column with more cards than a page shows them page by page; counts stay exact', async ({ page }) => {
  // The whole city's handling column holds more cards than one page (50).
  await signIn(page, 'leader');
  await page.goto('/board');
  await hydrated(page);
  const column = page.locator('section.column[data-step="handle"]');
  const total = Number(await column.getByTestId('column-count').textContent());
  expect(total).toBeGreaterThan(50);
  const cards = column.locator('li.card-item');
  await expect(cards).toHaveCount(50);
  await expect(column.getByTestId('column-shown')).toContainText(String(total));
  let shown = 50;
  while (shown < total) {
    await column.getByTestId('column-more').click();
    shown = Math.min(total, shown + 50);
    await expect(cards).toHaveCount(shown);
  }
  await expect(column.getByTestId('column-more')).toHaveCount(0);
  const codes = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
  expect(new Set(codes).size).toBe(total);
  // Overdue cards come first, before the page was cut.
  const overdue = await cards.evaluateAll((els) => els.map((e) => e.classList.contains('overdue')));
  expect(overdue.indexOf(false) === -1 || overdue.slice(overdue.indexOf(false)).every((o) => !o)).toBeTruthy();
});
