// Choosing a folder of 5,000 files must not block the page: no task of the app's own over 50 ms
// from the moment the input is set until the dataset is in. Long tasks are taken from a
// PerformanceObserver('longtask'); the app's share of the task that delivers the `change` event is
// timed separately (a window listener in the capture phase runs before React's root listener, one
// in the bubble phase after it and after the microtasks React's render runs in), because that task
// also holds Chromium's own work of building the FileList for the input, which is not the app's.
import { expect, test } from './fixtures';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { png } from '../png';

const FILES = 5000;
const LIMIT_MS = 50;

test('choosing a folder of 5,000 files leaves no task of the app over 50 ms', async ({ page }, info) => {
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
  await page.getByTestId('folder-input').setInputFiles(root);
  await expect(page.getByTestId('ingest-progress')).toBeVisible();
  await expect(page.getByTestId('dataset-summary')).toContainText(`${FILES} images, 10 classes`, { timeout: 240_000 });
  const { long, handler } = await page.evaluate((from) => {
    const w = window as unknown as { __long: [number, number][]; __handler: [number, number][] };
    return { long: w.__long.filter(([s]) => s >= from), handler: w.__handler };
  }, from);
  const round = (l: [number, number][]) => l.map(([s, d]) => `${Math.round(s - from)}+${Math.round(d)}`).join(' ');
  console.log(`long tasks (start ms after the input was set + ms): ${round(long) || 'none'}`);
  console.log(`the app's change handler: ${round(handler)}`);
  expect(handler.length).toBe(1);
  expect(handler[0][1], "the app's change handler, ms").toBeLessThan(LIMIT_MS);
  // Every long task but the one that delivered the change event (Chromium's FileList, measured
  // apart above) is the app's.
  const event = handler[0][0];
  const others = long.filter(([s, d]) => !(s <= event && event <= s + d));
  expect(
    others.map(([, d]) => Math.round(d)).filter((d) => d > LIMIT_MS),
    'long tasks other than the change event’s, ms',
  ).toEqual([]);
});
