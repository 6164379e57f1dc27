// `npm run bench`: serves the benchmark build (bench/vite.config.ts), runs bench/step.html in
// headless Chromium, prints one table (per backend and model case: the studio's training step in
// images/s and GFLOP/s, the backend's matMul ceiling, their ratio, the plain TF.js step and the
// speed-up) and writes it as JSON under bench/results/.
//   npm run bench -- [backends=wasm,wasm-1t,webgl,webgpu,cpu] (wasm-1t: WASM without threads) [cases=defaults,quick] [maxStepMs=15000]
//                    [profile=webgpu] [deferred=1,4,15,32] [recompute=on|off|auto]
import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { BenchRow } from './step-page';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { applyPreset, isPresetId } from '../workers/contract/presets';
import { startPreview } from './preview';

/** A Python with torch, or null: the PyTorch column is then skipped, not an error. */
function torchPython(): string | null {
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** bench/torch_step.py's images/s for a case at the row's batch, on as many threads as the row's backend. */
function torchStep(py: string, id: string, batchSize: number, threads: number): number | string {
  if (!isPresetId(id)) return `no recipe ${id}`;
  const c = { ...applyPreset(DEFAULT_CONFIG, id), batchSize };
  const p = spawnSync(py, ['bench/torch_step.py', JSON.stringify(c), String(threads), '8'], { encoding: 'utf8' });
  try {
    return JSON.parse(p.stdout.trim().split('\n').pop()!).imagesPerSec as number;
  } catch {
    return `failed: ${(p.stderr || p.stdout).trim().split('\n').pop()}`;
  }
}

const hash = process.argv.slice(2).join('&');
const server = await startPreview({ config: 'bench/vite.config.ts', page: '/step.html' });

const timed = (x: BenchRow['studio']) => ('imagesPerSec' in x ? x : null);
const pad = (s: string | number, n: number) => String(s).padStart(n);

try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`  ${m.text()}`));
  await page.goto(`${server.url}/step.html#${hash}`);
  await page.waitForFunction(() => window.benchResult !== undefined, null, { timeout: 3_600_000, polling: 1000 });
  const result = await page.evaluate(() => window.benchResult!);
  await browser.close();
  if (result.error || !result.rows) throw new Error(result.error ?? 'no rows');

  const rows = result.rows;
  console.log(`\n${result.userAgent}\n${result.threads} hardware threads\n`);
  console.log('backend  case          batch  studio img/s  GFLOP/s  ceiling GFLOP/s  % ceiling  plain img/s  speed-up');
  for (const r of rows) {
    const s = timed(r.studio);
    const p = timed(r.plain);
    const gflops = s ? (s.imagesPerSec * r.trainFlopsPerImage) / 1e9 : null;
    console.log(
      [
        r.backend.padEnd(8),
        r.case.padEnd(13),
        pad(r.config.batchSize ?? '–', 5),
        pad(s ? s.imagesPerSec.toFixed(1) : 'skipped', 13),
        pad(gflops?.toFixed(2) ?? '–', 8),
        pad(r.ceilingGflops.toFixed(2), 16),
        pad(gflops ? `${((100 * gflops) / r.ceilingGflops).toFixed(0)}%` : '–', 10),
        pad(p ? p.imagesPerSec.toFixed(1) : 'fails', 12),
        pad(s && p ? `${(s.imagesPerSec / p.imagesPerSec).toFixed(1)}×` : '–', 9),
      ].join(' '),
    );
  }
  const notes = rows.flatMap((r) => [
    ...('skipped' in r.studio && r.studio.skipped ? [`${r.backend}/${r.case} studio: ${r.studio.skipped}`] : []),
    ...('skipped' in r.plain && r.plain.skipped ? [`${r.backend}/${r.case} plain: ${r.plain.skipped}`] : []),
  ]);
  if (notes.length) console.log(`\n${[...new Set(notes)].join('\n')}`);

  // The speed targets, per case: the studio on WASM against WASM's ceiling, and against the
  // best backend the plain step runs on.
  for (const id of [...new Set(rows.map((r) => r.case))]) {
    const wasm = rows
      .filter((r) => r.case === id && r.backend.startsWith('wasm'))
      .sort((a, b) => (timed(b.studio)?.imagesPerSec ?? 0) - (timed(a.studio)?.imagesPerSec ?? 0))[0];
    const ws = wasm && timed(wasm.studio);
    const plainBest = Math.max(0, ...rows.filter((r) => r.case === id).map((r) => timed(r.plain)?.imagesPerSec ?? 0));
    if (!ws || !wasm) continue;
    const share = (ws.imagesPerSec * wasm.trainFlopsPerImage) / 1e9 / wasm.ceilingGflops;
    console.log(
      `${id}: studio on ${wasm.backend} ${ws.imagesPerSec.toFixed(1)} img/s = ${(100 * share).toFixed(0)}% of the wasm ceiling (target ≥ 35%); ` +
        `${plainBest ? `${(ws.imagesPerSec / plainBest).toFixed(1)}× the best plain backend (${plainBest.toFixed(1)} img/s; target ≥ 15×)` : 'the plain step runs on no backend'}`,
    );
  }
  // The same step in PyTorch eager on this CPU (bench/torch_step.py), one run after the other:
  // WASM on one thread against torch on one, threaded WASM against torch on as many threads.
  const py = torchPython();
  const torchRows: { backend: string; case: string; batch: number; threads: number; studio: number; torch: number | string }[] = [];
  if (!py) console.log('\nPyTorch column skipped: no python3 with torch (apt-get install python3-torch)');
  else {
    for (const r of rows) {
      const s = timed(r.studio);
      if (!s || !r.backend.startsWith('wasm') || !r.config.batchSize) continue;
      const threads = r.backend === 'wasm-1t' ? 1 : Math.min(result.threads, 8);
      torchRows.push({
        backend: r.backend,
        case: r.case,
        batch: r.config.batchSize,
        threads,
        studio: s.imagesPerSec,
        torch: torchStep(py, r.case, r.config.batchSize, threads),
      });
    }
    console.log('\nbackend  case          batch  threads  studio img/s  PyTorch img/s  studio / PyTorch');
    for (const t of torchRows) {
      console.log(
        [
          t.backend.padEnd(8),
          t.case.padEnd(13),
          pad(t.batch, 5),
          pad(t.threads, 8),
          pad(t.studio.toFixed(1), 13),
          pad(typeof t.torch === 'number' ? t.torch.toFixed(1) : t.torch, 14),
          pad(typeof t.torch === 'number' ? (t.studio / t.torch).toFixed(2) : '–', 17),
        ].join(' '),
      );
    }
  }
  const { profile, deferred } = result.extras ?? {};
  if (profile) {
    const total = profile.kernels.reduce((a, k) => a + k.ms, 0);
    console.log(`\nprofile, ${profile.backend}, ${profile.case}: ${total.toFixed(0)} ms of kernels`);
    for (const k of profile.kernels.slice(0, 12))
      console.log(
        `  ${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms ${((100 * k.ms) / total).toFixed(1).padStart(5)}%  ${k.calls} calls`,
      );
  }
  if (deferred)
    console.log(
      `\nwebgpu WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: ${deferred.map((d) => `${d.value}: ${d.imagesPerSec.toFixed(2)} img/s`).join(', ')}`,
    );
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/step-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${hostname()}.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), hash, ...result, torch: torchRows }, null, 1));
  console.log(`\nwrote ${file}`);
} finally {
  await server.stop();
}
