// What checkpoints cost and what a reload loses, for the default model, in headless Chromium
// against the production build: trains the sample set with the defaults (plus any settings in
// the first argument), reads each checkpoint's write time (copy off the device + IndexedDB write)
// and size from the list, and the training speed, so the steps lost by a reload at the default
// checkpointEvery follow.
//   npm run build && npx tsx bench/checkpoint.ts "backend=wasm" [seconds]
import { chromium } from '@playwright/test';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';

const [hash = 'backend=wasm', seconds = '90'] = process.argv.slice(2);
const server = await startPreview();
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(`${server.url}/#${hash}`);
  await page.getByTestId('backend').waitFor({ timeout: 120_000 });
  await page.getByTestId('sample-dataset').click();
  await page.getByTestId('dataset-summary').waitFor();
  await page.getByTestId('train-start').click();
  await page.waitForTimeout(Number(seconds) * 1000);
  await page.getByTestId('train-stop').click();
  await page.getByTestId('run-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(2000);
  const rows = await page
    .getByTestId('checkpoint')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const speed = await page.locator('.progress .numbers span').nth(2).textContent();
  const backend = await page.getByTestId('backend').textContent();
  const config = await page.evaluate(() => location.hash);
  console.log(`backend ${backend}, ${config || 'defaults'}; ${speed}`);
  console.log('step  size      why / write');
  for (const r of rows) console.log(`${r[0].padStart(4)}  ${r[2].padEnd(8)}  ${r[5]}`);
  const ms = rows.map((r) => Number(/write (\d+) ms/.exec(r[5])?.[1])).filter(Number.isFinite);
  const read = rows.map((r) => Number(/read (\d+) ms/.exec(r[5])?.[1])).filter(Number.isFinite);
  const msPerStep = Number(/([\d.]+) ms\/step/.exec(speed ?? '')?.[1]);
  const every = Number(/checkpointEvery=(\d+)/.exec(hash)?.[1] ?? DEFAULT_CONFIG.checkpointEvery);
  const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1];
  console.log(
    `IndexedDB write: median ${median(ms)} ms over ${ms.length} writes; read off the device (concurrent with training): median ${median(read)} ms`,
  );
  console.log(
    `a reload loses at most ${every - 1} steps (checkpointEvery ${every}) = ${(((every - 1) * msPerStep) / 1000).toFixed(1)} s of training at ${msPerStep} ms/step`,
  );
  await browser.close();
} finally {
  await server.stop();
}
