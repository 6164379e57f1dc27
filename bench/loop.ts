// The whole training loop as a user runs it: the production build in headless Chromium, the
// built-in sample, Train pressed with the default recipe (online k-NN, metrics, checkpoints to
// IndexedDB, the charts drawing), a fixed number of epochs. Prints whole-loop images/s beside the
// step's own images/s and where the training thread's time went (workers/train/phases.ts), as the
// Train panel reports it at the end of the run.
//   npm run bench:loop -- [epochs=10] [runs=1] [any setting, e.g. wasmThreads=1 backend=wasm]
import { chromium } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LOOP_PHASES, type PhaseReport } from '../workers/contract/api';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';

const args = new Map(process.argv.slice(2).map((a) => a.split('=') as [string, string]));
const runs = Number(args.get('runs') ?? 1);
args.delete('runs');
const settings = new Map<string, string>([['backend', 'wasm'], ['epochs', '10'], ...args]);
const hash = [...settings].map(([k, v]) => `${k}=${v}`).join('&');

const server = await startPreview();
const results: { run: number; report: PhaseReport; uiBusy: number; userAgent: string }[] = [];
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS, ...(process.env.JSFLAGS ? [`--js-flags=${process.env.JSFLAGS}`] : [])] });
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext(); // a fresh profile: empty IndexedDB
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
    page.on('console', (m) => m.text().startsWith('YIELD') && console.log(m.text()));
    await page.goto(`${server.url}/#${hash}`);
    await page.getByTestId('sample-dataset').click();
    await page.getByTestId('dataset-summary').waitFor();
    const start = page.getByTestId('train-start');
    await start.waitFor();
    await page.waitForFunction(() => !(document.querySelector('[data-testid="train-start"]') as HTMLButtonElement).disabled, null, {
      timeout: 300_000,
    });
    // The page's own thread (React, the charts) shares the machine with the training: its busy
    // time, from Chrome's Performance domain, is printed beside the loop's.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const taskSeconds = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN;
    const t0 = await taskSeconds();
    const wall0 = performance.now();
    await start.click();
    if (process.env.BACKGROUND) {
      const other = await context.newPage();
      await other.bringToFront();
    }
    await page
      .getByTestId('run-state')
      .filter({ hasText: /done|failed|stopped/ })
      .waitFor({ timeout: 3_600_000 });
    const state = await page.getByTestId('run-state').textContent();
    if (state !== 'done') throw new Error(`the run ended ${state}`);
    // The final report follows the last metrics; give the UI a moment to apply it.
    await page.waitForTimeout(500);
    const uiBusy = ((await taskSeconds()) - t0) / ((performance.now() - wall0 - 500) / 1000);
    const report = JSON.parse((await page.getByTestId('loop-phases').getAttribute('data-report'))!) as PhaseReport;
    results.push({ run, report, uiBusy, userAgent: await page.evaluate(() => navigator.userAgent) });
    print(run, report, uiBusy);
    await context.close();
  }
  await browser.close();
} finally {
  await server.stop();
}

function print(run: number, r: PhaseReport, uiBusy: number): void {
  const perSec = (ms: number) => (r.images / (ms / 1000)).toFixed(1);
  const pct = (ms: number) => `${((100 * ms) / r.wallMs).toFixed(1)}%`.padStart(6);
  console.log(`\nrun ${run + 1}: #${hash}`);
  console.log(`  ${r.steps} steps, ${r.images} images in ${(r.wallMs / 1000).toFixed(1)} s`);
  console.log(`  whole loop ${perSec(r.wallMs)} img/s; the step alone ${perSec(r.ms.step)} img/s`);
  console.log('  phase        ms/step   share');
  for (const p of LOOP_PHASES) console.log(`  ${p.padEnd(11)} ${(r.ms[p] / r.steps).toFixed(1).padStart(8)}  ${pct(r.ms[p])}`);
  console.log(`  ${'idle'.padEnd(11)} ${(r.idleMs / r.steps).toFixed(1).padStart(8)}  ${pct(r.idleMs)}`);
  for (const [why, ms] of Object.entries(r.waits ?? {})) console.log(`    idle waiting for ${why}: ${(ms / r.steps).toFixed(1)} ms/step`);
  console.log(`  views rendered: ${r.views}; the page's own thread busy ${(100 * uiBusy).toFixed(0)}% of the time`);
}

mkdirSync('bench/results', { recursive: true });
const file = `bench/results/loop-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-')}-${hostname()}.json`;
writeFileSync(file, JSON.stringify({ hash, runs: results }, null, 2));
console.log(`\nwrote ${file}`);
