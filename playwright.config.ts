import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './test/chromium';

// Browser tests run against the production build (`vite preview`, which sends the COOP/COEP
// headers), in the system Chromium. Tests share one 2-core machine, so they run one at a time.
// E2E_PORT lets several checkouts or sessions run browser tests side by side.
const port = Number(process.env.E2E_PORT ?? 4173);
const dist = process.env.E2E_DIST ?? 'dist'; // build with `npx vite build --outDir <dir>`

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  // Playwright empties outputDir at start; keep it apart from the unit tests' report.
  outputDir: 'test-results/e2e-artifacts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort --outDir ${dist}`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
