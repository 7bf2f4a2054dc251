import { defineConfig } from '@playwright/test';

// Debian's Chromium; Playwright's own browser download is not reachable here.
export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  projects: [
    { name: 'journeys', testIgnore: /rate-limit/ },
    // Spends the lookup quota of 127.0.0.1, so it runs after everything else.
    { name: 'rate-limit', testMatch: /rate-limit/, dependencies: ['journeys'] },
  ],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    locale: 'zh-CN',
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
