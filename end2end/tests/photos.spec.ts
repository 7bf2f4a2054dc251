import { test, expect, Page } from '@playwright/test';
import { act, hydrated, signIn, signOut } from './helpers';

/** A photo as a phone's camera would give it: a JPEG drawn by the browser. */
async function photo(page: Page, colour: string, name: string) {
  const data = await page.evaluate((c) => {
    const canvas = document.createElement('canvas');
    canvas.width = 1200;
    canvas.height = 900;
    const g = canvas.getContext('2d')!;
    g.fillStyle = c;
    g.fillRect(0, 0, 1200, 900);
    g.fillStyle = '#fff';
    g.fillRect(100, 100, 300, 200);
    return canvas.toDataURL('image/jpeg', 0.9).split(',')[1];
  }, colour);
  return { name, mimeType: 'image/jpeg', buffer: Buffer.from(data, 'base64') };
}

/** Every picture of the gallery has loaded (the server let this page see it). */
async function allLoaded(page: Page) {
  const imgs = page.locator('.gallery img');
  await expect
    .poll(() => imgs.evaluateAll((all) => all.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)))
    .toBe(true);
}

test('a resident attaches a photo, a unit closes with before and after photos, and the resident sees only what the station published', async ({ page, browser }) => {
  // The resident raises the problem online and adds a photo from their case page.
  await page.goto('/report');
  await hydrated(page);
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区' });
  await page.fill('textarea[name="description"]', '小区北门路灯杆倾斜，随时可能倒下。');
  await page.fill('input[name="resident_name"]', '任秀英');
  await page.fill('input[name="resident_phone"]', '13700001357');
  await page.waitForTimeout(3200);
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('receipt')).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();

  // From the receipt straight to the case page's photos.
  await page.getByTestId('add-photos').click();
  await expect(page).toHaveURL(new RegExp(`/track/${code}#photos$`));
  await hydrated(page);
  await expect(page.locator('.gallery figure')).toHaveCount(0);
  await page.setInputFiles('form.photo-upload input[type="file"]', await photo(page, '#b33', 'IMG_0001.jpg'));
  await page.click('form.photo-upload button[type="submit"]');
  await expect(page.locator('.gallery figure')).toHaveCount(1);
  await expect(page.locator('.gallery figure .badge')).toContainText('您上传的');
  await allLoaded(page);
  // Without the case's PIN, another browser is not shown the photo.
  const id = await page.locator('.gallery figure').getAttribute('data-photo');
  const stranger = await browser.newContext();
  const res = await stranger.request.get(`/photos/${id}`);
  expect(res.status()).toBe(404);
  await stranger.close();

  // The station assigns it; the unit's handler shows the state before and after.
  const staff = await browser.newPage();
  await signIn(staff, 'director');
  await staff.goto(`/cases/${code}`);
  await hydrated(staff);
  await expect(staff.locator('#photos .gallery figure')).toHaveCount(1);
  await act(staff, 'start_consolidation');
  await act(staff, 'assign', { unit_id: '离石区城市管理局', class: '一般（7日）' });
  await signOut(staff);
  await signIn(staff, 'handler');
  await staff.goto(`/cases/${code}`);
  await hydrated(staff);
  await act(staff, 'acknowledge');
  const upload = staff.locator('#photos form.photo-upload');
  await upload.locator('select[name="stage"]').selectOption('before');
  await upload.locator('input[type="file"]').setInputFiles(await photo(staff, '#666', 'before.jpg'));
  await upload.locator('button[type="submit"]').click();
  await expect(staff.locator('[data-stage="before"] figure')).toHaveCount(1);
  await upload.locator('select[name="stage"]').selectOption('after');
  await upload
    .locator('input[type="file"]')
    .setInputFiles([await photo(staff, '#3a3', 'after-1.jpg'), await photo(staff, '#3a6', 'after-2.jpg')]);
  await upload.locator('button[type="submit"]').click();
  await expect(staff.locator('[data-testid="before-after"] [data-stage="after"] figure')).toHaveCount(2);
  await allLoaded(staff);
  await expect(staff.locator('.timeline li[data-kind="photos_added"]')).toHaveCount(3);
  // Not a photo: refused by its bytes, with the reason, and nothing added.
  await upload.locator('input[type="file"]').setInputFiles({ name: 'scan.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.7') });
  await upload.locator('button[type="submit"]').click();
  await expect(staff.getByTestId('photo-error')).toContainText('只能上传照片');
  await expect(staff.locator('#photos .gallery figure')).toHaveCount(4);
  await act(staff, 'request_closure', { text: '已扶正路灯杆并加固底座' });

  // The resident sees their own photo only, until the station publishes the after photos.
  await page.reload();
  await expect(page.locator('.gallery figure')).toHaveCount(1);
  await signOut(staff);
  await signIn(staff, 'director');
  await staff.goto(`/cases/${code}`);
  await hydrated(staff);
  const after = staff.locator('[data-stage="after"] figure');
  for (const i of [0, 1]) {
    await after.nth(i).locator('button').click();
    await expect(after.nth(i)).toHaveAttribute('data-public', 'true');
  }
  await page.reload();
  await expect(page.locator('.gallery figure')).toHaveCount(3);
  await expect(page.locator('[data-stage="after"] figure')).toHaveCount(2);
  await expect(page.locator('[data-stage="before"]')).toHaveCount(0);
  await allLoaded(page);
  await staff.close();
});

test('at the desk, staff go from the receipt to the case photos and add one taken with a phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'director');
  await page.goto('/intake');
  await hydrated(page);
  await page.fill('input[name="title"]', '健身器材螺丝松动');
  await page.selectOption('select[name="category_id"]', { label: '路灯照明' });
  await page.fill('textarea[name="description"]', '小区广场健身器材螺丝松动，老人锻炼时晃得厉害。');
  await page.selectOption('select[name="region_id"]', { label: '袁家庄社区 / 第一网格 / 袁家庄小区' });
  await page.fill('input[name="resident_name"]', '郝志明');
  await page.fill('input[name="resident_phone"]', '13700002468');
  await page.click('main form button[type="submit"]');
  await expect(page.getByTestId('receipt')).toBeVisible();
  const code = (await page.getByTestId('receipt-code').textContent())!.trim();

  await page.getByTestId('add-photos').click();
  await expect(page).toHaveURL(new RegExp(`/cases/${code}#photos$`));
  await hydrated(page);
  const upload = page.locator('#photos form.photo-upload');
  // A phone offers its camera for any image type.
  await expect(upload.locator('input[type="file"]')).toHaveAttribute('accept', /image\/\*/);
  await upload.locator('input[type="file"]').setInputFiles(await photo(page, '#357', 'IMG_2041.jpg'));
  await upload.locator('button[type="submit"]').click();
  await expect(page.locator('#photos [data-stage="report"] figure')).toHaveCount(1);
  await allLoaded(page);
});
