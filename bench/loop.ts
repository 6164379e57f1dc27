// The whole training loop as a user runs it: the production build in headless Chromium, the
// built-in sample, Train pressed with the default recipe (online k-NN, metrics, checkpoints to
// IndexedDB, the charts drawing), a fixed number of epochs. Prints whole-loop images/s, measured
// from outside (the page's step count, from the first step it shows to the end of the run) and
// by the worker, beside the step's own images/s and where the training thread's time went
// (workers/train/phases.ts), as the Train panel reports it at the end of the run.
//   npm run bench:loop -- [epochs=10] [runs=1] [ref=<git revision>] [gpu=none] [profile=page] [any setting, e.g. backend=wasm]
// ref: the same protocol on that revision's build too (git archive into a temporary folder, built
// there with this node_modules), run alternately with the working tree's, ref first: the
// before/after of a change, one right after the other. An old revision has no time report; the
// outside figure is the one to compare.
import { chromium, type BrowserContext } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOP_PHASES, type PhaseReport } from '../workers/contract/api';
import { CHROMIUM_ARGS, CPU_ONLY_ARGS, findChromium } from '../test/chromium';
import { benchArgs } from './args';
import { startPreview } from './preview';

const args = new Map(Object.entries(benchArgs()));
const runs = Number(args.get('runs') ?? 1);
const ref = args.get('ref');
// gpu=none: Chrome as on a machine without a GPU (test/chromium.ts CPU_ONLY_ARGS); the default
// emulates one with SwiftShader, as the browser tests do.
const gpu = args.get('gpu') ?? 'swiftshader';
// profile=page: the page's own thread sampled by V8's profiler during the run, its self time by
// function printed, to see what the UI spends of the CPU the training needs.
const profilePage = args.get('profile') === 'page';
// profile=trace: Chrome's timeline trace of the run, the page's main-thread time by event (layout,
// paint, script ...) printed: what V8's profiler shows only as '(program)'.
const tracePage = args.get('profile') === 'trace';
// view=away: the page scrolled to its end once Train is pressed, the charts off screen (they do not
// draw there): what the page's drawing costs the loop.
const scrollAway = args.get('view') === 'away';
// What is the bench's own, not a setting of the run:
for (const k of ['runs', 'ref', 'gpu', 'profile', 'view']) args.delete(k);
const settings = new Map<string, string>([['backend', 'wasm'], ['epochs', '10'], ...args]);
const hash = [...settings].map(([k, v]) => `${k}=${v}`).join('&');
const repo = fileURLToPath(new URL('..', import.meta.url));

interface Result {
  build: string;
  run: number;
  steps: number;
  seconds: number;
  imagesPerSec: number;
  report: PhaseReport | null;
  uiBusy: number;
}

/** The revision's app, built in a temporary folder with this repository's node_modules. */
function buildRevision(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vicreg-loop-ref-'));
  const archive = spawnSync('git', ['archive', rev], { cwd: repo, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString().trim()}`);
  spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building ${rev}: ${build.stderr}`);
  return dir;
}

async function measure(context: BrowserContext, url: string, build: string, run: number): Promise<Result> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  await page.goto(`${url}/#${hash}`);
  await page.getByTestId('sample-dataset').click();
  await page.getByTestId('dataset-summary').waitFor();
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
  // From outside: when the page first shows a step, and when the run is done, by the page's clock.
  // (A string, not a function: the bundler that runs this script would name its inner functions
  // with a helper the page does not have.)
  await page.evaluate(`(() => {
    const marks = (window.loopMarks = {});
    const read = () => Number(document.querySelector('[data-testid="step"]')?.textContent ?? 0);
    const poll = () => {
      const step = read();
      if (!marks.first && step > 0) marks.first = { t: performance.now(), step };
      if (/done|failed|stopped/.test(document.querySelector('[data-testid="run-state"]')?.textContent ?? '')) {
        marks.done = { t: performance.now(), step };
        return;
      }
      setTimeout(poll, 20);
    };
    poll();
  })()`);
  if (profilePage) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const browser = context.browser();
  if (tracePage && browser)
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await page.getByTestId('train-start').click();
  if (scrollAway) await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
  await page.waitForFunction(() => (window as unknown as { loopMarks: { done?: unknown } }).loopMarks.done, null, {
    timeout: 3_600_000,
    polling: 500,
  });
  if (profilePage) printProfile((await cdp.send('Profiler.stop')).profile);
  if (tracePage && browser) printTrace(JSON.parse((await browser.stopTracing()).toString()));
  const state = await page.getByTestId('run-state').textContent();
  if (state !== 'done') {
    const why = await page.locator('.warnings').allTextContents();
    throw new Error(`${build}: the run ended ${state}: ${why.join(' | ')}`);
  }
  const marks = await page.evaluate(
    () => (window as unknown as { loopMarks: { first: { t: number; step: number }; done: { t: number; step: number } } }).loopMarks,
  );
  await page.waitForTimeout(500); // the final time report follows the last metrics
  const uiBusy = ((await taskSeconds()) - t0) / ((performance.now() - wall0) / 1000);
  const raw = await page
    .getByTestId('loop-phases')
    .getAttribute('data-report', { timeout: 1000 })
    .catch(() => null);
  const batch = Number(settings.get('batchSize') ?? 128);
  const steps = marks.done.step - marks.first.step;
  const seconds = (marks.done.t - marks.first.t) / 1000;
  await page.close();
  return {
    build,
    run,
    steps,
    seconds,
    imagesPerSec: (steps * batch) / seconds,
    report: raw ? (JSON.parse(raw) as PhaseReport) : null,
    uiBusy,
  };
}

type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
};

/** Self time by function (name, file, line), the top 20, and by file. */
function printProfile(profile: CpuProfile): void {
  const frame = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const us = profile.timeDeltas?.[i + 1] ?? 0; // a sample's time runs to the next one
    const f = frame.get(id);
    if (!f || f.functionName === '(idle)') return;
    const file = f.url.split('/').pop() || f.functionName;
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    total += us;
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `    ${(us / 1000).toFixed(0).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log(`  the page's thread, busy ${(total / 1000).toFixed(0)} ms (V8 samples), by function:`);
  for (const l of top(byFn, 20)) console.log(l);
  console.log('  by file:');
  for (const l of top(byFile, 8)) console.log(l);
}

type TraceEvent = { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; args?: { name?: string } };

/** The renderer's main thread: each event's self time (its duration less its children's), by name. */
function printTrace(trace: { traceEvents: TraceEvent[] }): void {
  const ev = trace.traceEvents;
  const main = ev.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) {
    console.log('  no CrRendererMain in the trace');
    return;
  }
  const xs = ev
    .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stack: TraceEvent[] = [];
  for (const e of xs) {
    while (stack.length && stack.at(-1)!.ts + stack.at(-1)!.dur! <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur!);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur!);
    stack.push(e);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  the page's main thread in Chrome's trace: ${(total / 1000).toFixed(0)} ms, self time by event:`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`    ${(us / 1000).toFixed(0).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
}

function print(r: Result): void {
  console.log(`\n${r.build}, run ${r.run + 1}: #${hash}`);
  console.log(`  whole loop, from outside: ${r.imagesPerSec.toFixed(1)} img/s (${r.steps} steps in ${r.seconds.toFixed(1)} s)`);
  console.log(`  the page's own thread busy ${(100 * r.uiBusy).toFixed(0)}% of the time`);
  const p = r.report;
  if (!p) return;
  const perSec = (ms: number) => (p.images / (ms / 1000)).toFixed(1);
  const pct = (ms: number) => `${((100 * ms) / p.wallMs).toFixed(1)}%`.padStart(6);
  console.log(`  the worker's report: ${p.steps} steps, whole loop ${perSec(p.wallMs)} img/s; the step alone ${perSec(p.ms.step)} img/s`);
  console.log('  phase        ms/step   share');
  for (const ph of LOOP_PHASES) console.log(`  ${ph.padEnd(11)} ${(p.ms[ph] / p.steps).toFixed(1).padStart(8)}  ${pct(p.ms[ph])}`);
  console.log(`  ${'idle'.padEnd(11)} ${(p.idleMs / p.steps).toFixed(1).padStart(8)}  ${pct(p.idleMs)}`);
  for (const [why, ms] of Object.entries(p.waits ?? {})) console.log(`    waiting for ${why}: ${(ms / p.steps).toFixed(1)} ms/step`);
  console.log(`  views rendered: ${p.views}`);
}

const refDir = ref ? buildRevision(ref) : null;
const servers = [
  ...(refDir ? [{ build: `ref ${ref}`, server: await startPreview({ config: join(refDir, 'vite.config.ts') }) }] : []),
  { build: 'working tree', server: await startPreview() },
];
const results: Result[] = [];
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: gpu === 'none' ? CPU_ONLY_ARGS : CHROMIUM_ARGS });
  for (let run = 0; run < runs; run++) {
    for (const { build, server } of servers) {
      const context = await browser.newContext(); // a fresh profile: empty IndexedDB
      const r = await measure(context, server.url, build, run);
      results.push(r);
      print(r);
      await context.close();
    }
  }
  await browser.close();
} finally {
  for (const { server } of servers) await server.stop();
  if (refDir) rmSync(refDir, { recursive: true, force: true });
}

if (servers.length > 1) {
  console.log('\nwhole loop, from outside (img/s):');
  for (const { build } of servers) {
    const v = results.filter((r) => r.build === build).map((r) => r.imagesPerSec);
    console.log(
      `  ${build.padEnd(24)} ${v.map((x) => x.toFixed(1)).join(', ')}  (mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)})`,
    );
  }
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/loop-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-')}-${hostname()}.json`;
writeFileSync(file, JSON.stringify({ hash, ref: ref ?? null, gpu, results }, null, 2));
console.log(`\nwrote ${file}`);
