// Choosing a folder of 5,000 files must not block the page: no task of the app's own over 50 ms
// from the moment the input is set until the dataset is in. Long tasks are taken from a
// PerformanceObserver('longtask'); the app's share of the task that delivers the `change` event is
// timed separately (a window listener in the capture phase runs before React's root listener, one
// in the bubble phase after it and after the microtasks React's render runs in), because that task
// also holds Chromium's own work of building the FileList for the input, which is not the app's.
import { expect, test } from './fixtures';
import type { Browser, Page } from '@playwright/test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { png } from '../png';
import { traceTasks } from './helpers';

const FILES = 5000;
const LIMIT_MS = 50;

async function traced<T>(browser: Browser, page: Page, body: () => Promise<T>): Promise<[T, Buffer]> {
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
  const out = await body();
  return [out, await browser.stopTracing()];
}

test('choosing a folder of 5,000 files leaves no task of the app over 50 ms', async ({ page, browser }, info) => {
  test.setTimeout(300_000);
  // The sample's 2,000 images (public/sample), each file made unique by its index in two pixels so
  // none is an exact copy of another, in 10 class folders.
  const root = join(info.outputDir, 'five-thousand');
  rmSync(root, { recursive: true, force: true });
  const meta = JSON.parse(readFileSync('public/sample/fashion-mnist-2k.json', 'utf8'));
  const pixels = readFileSync(`public/sample/${meta.pixels}`);
  const labels = readFileSync(`public/sample/${meta.labels}`);
  const side = meta.height * meta.width;
  meta.classes.forEach((_: string, k: number) => mkdirSync(join(root, `class${k}`), { recursive: true }));
  for (let i = 0; i < FILES; i++) {
    const g = Uint8Array.from(pixels.subarray((i % meta.count) * side, ((i % meta.count) + 1) * side));
    g[0] = i & 255;
    g[1] = i >> 8;
    writeFileSync(join(root, `class${labels[i % meta.count]}`, `${i}.png`), png(g, meta.width, meta.height));
  }

  await page.addInitScript(() => {
    const w = window as unknown as { __long: [number, number][]; __handler: [number, number][] };
    w.__long = [];
    w.__handler = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    let start = 0;
    window.addEventListener('change', () => void (start = performance.now()), true);
    window.addEventListener('change', () => w.__handler.push([start, performance.now() - start]));
  });
  await page.goto('/#backend=wasm&imageSize=16');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await page.waitForTimeout(1000); // the start-up's own tasks are over
  const from = await page.evaluate(() => performance.now());
  const [, trace] = await traced(browser, page, async () => {
    await page.getByTestId('folder-input').setInputFiles(root);
    await expect(page.getByTestId('ingest-progress')).toBeVisible();
    await expect(page.getByTestId('dataset-summary')).toContainText(`${FILES} images, 10 classes`, { timeout: 240_000 });
    await page.waitForTimeout(1000); // the thumbnails and the augmentation preview are drawn
  });
  const { long, handler } = await page.evaluate((from) => {
    const w = window as unknown as { __long: [number, number][]; __handler: [number, number][] };
    return { long: w.__long.filter(([s]) => s >= from), handler: w.__handler };
  }, from);
  const round = (l: [number, number][]) => l.map(([s, d]) => `${Math.round(s - from)}+${Math.round(d)}`).join(' ');
  console.log(`long tasks (start ms after the input was set + ms): ${round(long) || 'none'}`);
  console.log(`the app's change handler: ${round(handler)}`);
  expect(handler.length).toBe(1);
  expect(handler[0][1], "the app's change handler, ms").toBeLessThan(LIMIT_MS);
  // Each of the page's long tasks again in a trace, for its thread time: on a machine shared with
  // other browsers a task's wall time includes the time its thread waited for a core (seen: 136 ms
  // of wall for 3 ms of work), which is not the app's. The trace also holds tasks that are not
  // the page's (DevTools, Playwright's polling), so only the tasks the observer saw count. The
  // longest holds the change event: Chromium building the FileList (1.4-3 s for 5,000 files),
  // with the app's handler in it, timed above. It sets the offset between the two clocks.
  const inTrace = traceTasks(trace, LIMIT_MS);
  const [fileList] = [...long].sort((a, b) => b[1] - a[1]);
  const [fileListTrace] = [...inTrace].sort((a, b) => b[1] - a[1]);
  const offset = fileListTrace[0] - fileList[0];
  const threadMs = long
    .filter((t) => t !== fileList)
    .map(([s, d]) => {
      const match = inTrace.find(([ts]) => Math.abs(ts - offset - s) < 3);
      return match ? match[2] : d; // not in the trace: its wall time
    });
  console.log(
    `the same, thread ms: FileList ${Math.round(fileListTrace[2])}, others ${threadMs.map((t) => Math.round(t)).join(' ') || 'none'}`,
  );
  expect(threadMs.filter((t) => t > LIMIT_MS).map(Math.round), 'thread time of the long tasks but the FileList one, ms').toEqual([]);
});
