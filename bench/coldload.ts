// Cold load: how long after navigation the first click (the sample button) is possible, each time
// in a fresh browser context (no cache, no storage), against the production build. Prints every
// load, the median, and the long tasks of the median load.
//   npm run build && npx tsx bench/coldload.ts [loads=7] [url]
// With a url (another build served elsewhere, e.g. an older commit's) it measures that instead.
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';

const loads = Number(process.argv[2] ?? 7);
/** Records the long tasks, and when the sample button is first enabled (ms from navigation). */
const WATCH = `
  window.__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(Math.round(e.duration)); })
    .observe({ type: 'longtask', buffered: true });
  const tick = () => {
    const b = document.querySelector('[data-testid=sample-dataset]');
    if (b && !b.disabled) window.__enabledAt = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
`;
const server = process.argv[3] ? { url: process.argv[3], stop: async () => {} } : await startPreview();
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const rows: { enabled: number; longTasks: number[]; scripts: number }[] = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    // As a string: tsx would wrap a function's inner names in a helper the page does not have.
    await page.addInitScript(WATCH);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { __enabledAt?: number }).__enabledAt !== undefined, null, { timeout: 60_000 });
    rows.push(
      await page.evaluate(() => {
        const w = window as unknown as { __enabledAt: number; __long: number[] };
        const scripts = performance
          .getEntriesByType('resource')
          .filter((e) => e.name.endsWith('.js') && e.startTime < w.__enabledAt)
          .reduce((a, e) => a + (e as PerformanceResourceTiming).decodedBodySize, 0);
        return { enabled: Math.round(w.__enabledAt), longTasks: w.__long.slice(), scripts };
      }),
    );
    await context.close();
  }
  await browser.close();
  const sorted = rows.map((r) => r.enabled).sort((a, b) => a - b);
  const median = rows.find((r) => r.enabled === sorted[Math.floor(sorted.length / 2)])!;
  console.log(`first click possible after (ms from navigation): ${rows.map((r) => r.enabled).join(', ')}`);
  console.log(
    `median ${median.enabled} ms; scripts fetched before it ${(median.scripts / 1024).toFixed(0)} kB; its long tasks ${median.longTasks.join(', ')} ms`,
  );
} finally {
  await server.stop();
}
