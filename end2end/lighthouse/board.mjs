// How soon the director's board with 500 open cases answers a click, on
// the phone and connection of Lighthouse's mobile preset (issue 21). Lighthouse
// dropped its "interactive" metric in version 10, so this measures what the
// issue means directly: from the start of the navigation until the app has
// hydrated the board (`data-hydrated` on <body>, set by `App`; until then
// its buttons are inert). Run by scripts/lighthouse:
//   node end2end/lighthouse/board.mjs http://127.0.0.1:3300 out.json
// First with an empty cache, then as a director opens it every morning: the
// app's files come from the browser's cache (they are sent immutable).
import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';

const [base, out] = process.argv.slice(2);
const CARDS = 500;
// Lighthouse's mobile preset, as DevTools applies it (constants.js,
// throttling.mobileSlow4G): 150 ms round trips and 1.6 Mbps down, times
// its factors for applied throttling; a CPU four times slower.
const NETWORK = {
  offline: false,
  latency: 150 * 3.75,
  downloadThroughput: (1638.4 * 0.9 * 1024) / 8,
  uploadThroughput: (675 * 0.9 * 1024) / 8,
};
const CPU_SLOWDOWN = 4;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const context = await browser.newContext({
  locale: 'zh-CN',
  viewport: { width: 412, height: 823 },
  deviceScaleFactor: 1.75,
  isMobile: true,
  hasTouch: true,
});
const api = async (name, form = {}) => {
  const res = await context.request.post(`${base}/api/${name}`, {
    form,
    headers: { Accept: 'application/json' },
  });
  if (!res.ok()) throw new Error(`${name}: ${res.status()} ${await res.text()}`);
  return res.json().catch(() => null);
};

await api('login', { username: 'director', password: 'lianxin-demo' });
const options = await api('intake_options');
const compound = options.regions.find((r) => r.label.endsWith('小区'));
for (let i = 0; i < CARDS; i++) {
  await api('register_case', {
    title: `楼道灯不亮 ${i}`,
    description: '三单元楼道灯晚上不亮，老人上下楼看不见',
    category_id: String(options.categories[0].id),
    region_id: String(compound.id),
    station_id: String(options.stations[0].id),
    source: 'walk_in',
    resident_name: '郭永刚',
    resident_phone: '13911112222',
  });
}

const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await cdp.send('Network.emulateNetworkConditions', NETWORK);
await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
// When the app marks the body hydrated, in the page's own clock (from the
// start of the navigation).
await page.addInitScript(() => {
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.hydrated) {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, childList: true });
});

const measure = async (label) => {
  await page.goto(`${base}/board`, { timeout: 120_000 });
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 120_000 });
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const counts = [...document.querySelectorAll('[data-testid="column-count"]')].map((c) => Number(c.textContent));
    const sent = performance
      .getEntriesByType('resource')
      .concat([nav])
      .reduce((sum, r) => sum + (r.transferSize || 0), 0);
    return {
      hydrated_ms: Math.round(window.__hydratedAt),
      html_ms: Math.round(nav.responseEnd),
      open_cases: counts.reduce((a, b) => a + b, 0),
      cards_shown: document.querySelectorAll('section.column li.card-item').length,
      transferred_kb: Math.round(sent / 1024),
    };
  });
  console.log(`${label}: interactive after ${m.hydrated_ms} ms (HTML in ${m.html_ms} ms), ` +
    `${m.open_cases} cases on the board, ${m.transferred_kb} KB transferred`);
  return m;
};

const cold = await measure('empty cache');
const warm = await measure('cached app');
writeFileSync(out, JSON.stringify({ cold, warm }, null, 2));
await browser.close();
