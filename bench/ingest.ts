// Ingest benchmark: a folder of PNGs through the real folder input, in headless Chromium against
// the production build. Prints the ingest time and how fast the page answered clicks meanwhile.
//   npm run build && npx tsx tools/fashion-folder.ts /tmp/fashion10k 10000
//   npx tsx bench/ingest.ts /tmp/fashion10k
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';

const folder = process.argv[2] ?? '/tmp/fashion10k';
const server = await startPreview();
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(`${server.url}/#backend=cpu`);
  await page.getByTestId('backend').filter({ hasText: 'cpu' }).waitFor({ timeout: 90_000 });
  const t0 = Date.now();
  await page.getByTestId('folder-input').setInputFiles(folder);
  const picked = Date.now();
  // While it runs: toggle a <details> and time until the page shows the change.
  const latencies: number[] = [];
  const toggle = page.locator('summary', { hasText: 'Runtime' });
  while (!(await page.getByTestId('dataset-summary').isVisible())) {
    const c0 = Date.now();
    await toggle.click();
    latencies.push(Date.now() - c0);
    await page.waitForTimeout(200);
  }
  const done = Date.now();
  const text = await page.getByTestId('dataset-summary').textContent();
  latencies.sort((a, b) => a - b);
  console.log(`folder: ${folder}`);
  console.log(`summary: ${text?.slice(0, 160)}`);
  console.log(
    `setInputFiles: ${((picked - t0) / 1000).toFixed(1)} s; ingest until the summary: ${((done - picked) / 1000).toFixed(1)} s; total ${((done - t0) / 1000).toFixed(1)} s`,
  );
  console.log(
    `clicks answered during ingest: ${latencies.length}, median ${latencies[latencies.length >> 1]} ms, max ${latencies[latencies.length - 1]} ms`,
  );
  await browser.close();
} finally {
  await server.stop();
}
