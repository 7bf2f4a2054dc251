import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('a hot spot in the grid view drills down to the board filtered to that grid and category', async ({ page }) => {
  await signIn(page, 'director');
  await page.getByRole('link', { name: '网格', exact: true }).click();
  await expect(page).toHaveURL(/\/grid$/);
  await hydrated(page);
  // The community first, its grids and compounds below it.
  const rows = page.locator('[data-testid="grid-tree"] tbody tr');
  await expect(rows.first()).toHaveAttribute('data-level', 'community');
  await expect(page.locator('[data-testid="grid-tree"] tr[data-level="grid"]')).not.toHaveCount(0);

  // The hottest cell of the heat table.
  const cells = page.locator('[data-testid="heat"] td[data-count]:not([data-count="0"])');
  await expect(cells.first()).toBeVisible();
  const counts = await cells.evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))));
  const hottest = counts.indexOf(Math.max(...counts));
  const cell = cells.nth(hottest);
  const category = (await cell.getAttribute('data-category'))!;
  const node = (await cell.locator('xpath=..').getAttribute('data-node'))!;
  await cell.locator('a').click();

  await expect(page).toHaveURL(new RegExp(`/board\\?region=${node}&category=${category}$`));
  await hydrated(page);
  await expect(page.locator('select[name="region"]')).toHaveValue(node);
  await expect(page.locator('select[name="category"]')).toHaveValue(category);
  await expect(page.getByTestId('open-count')).toHaveText(String(counts[hottest]));

  // A grid's own view lists its compounds in the heat table.
  await page.goto(`/grid?node=${node}`);
  await hydrated(page);
  await expect(page.locator('nav.trail a')).toHaveCount(2);
  await expect(rows.first()).toHaveAttribute('data-level', 'grid');
});

test("the city's grid view shows its districts and streets, and a street opens down to its grids", async ({ page }) => {
  await signIn(page, 'leader');
  await page.goto('/grid');
  await hydrated(page);
  const rows = page.locator('[data-testid="grid-tree"] tbody tr');
  await expect(rows.first()).toHaveAttribute('data-level', 'city');
  const levels = await rows.evaluateAll((trs) => [...new Set(trs.map((tr) => tr.getAttribute('data-level')))].sort());
  expect(levels).toEqual(['city', 'district', 'street']);
  // Hot spots by street: every heat row is a street of the tree above.
  const streets = page.locator('[data-testid="grid-tree"] tr[data-level="street"]');
  const streetIds = await streets.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node')).sort());
  const heatIds = await page
    .locator('[data-testid="heat"] tbody tr')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node')).sort());
  expect(heatIds).toEqual(streetIds);

  // The street's own view: its communities and their grids, its figures as the city's view showed them.
  const street = streets.first();
  const id = (await street.getAttribute('data-node'))!;
  const open = Number(await street.locator('td').first().innerText());
  await street.locator('th a').click();
  await expect(page).toHaveURL(new RegExp(`/grid\\?node=${id}$`));
  await hydrated(page);
  await expect(rows.first()).toHaveAttribute('data-level', 'street');
  await expect(page.locator('[data-testid="grid-tree"] tr[data-level="grid"]')).not.toHaveCount(0);
  await expect(page.locator('[data-testid="grid-tree"] tr[data-level="compound"]')).toHaveCount(0);
  await expect(rows.first().locator('td').first()).toHaveText(String(open));
});
