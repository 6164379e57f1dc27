// `npm run bench`: serves the benchmark build (bench/vite.config.ts), runs bench/step.html in
// headless Chromium, prints one table (per backend and model case: the studio's training step in
// images/s and GFLOP/s, the backend's matMul ceiling, their ratio, the plain TF.js step and the
// speed-up) and writes it as JSON under bench/results/.
//   npm run bench -- [backends=wasm,wasm-1t,webgl,webgpu,cpu] (wasm-1t: WASM without threads) [cases=defaults,quick] [maxStepMs=15000]
//                    [profile=webgpu] [deferred=1,4,15,32]
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { BenchRow } from './step-page';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';

const hash = process.argv.slice(2).join('&');
const port = 4180;
const server = spawn('npx', ['vite', 'preview', '--config', 'bench/vite.config.ts', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore' });

const timed = (x: BenchRow['studio']) => ('imagesPerSec' in x ? x : null);
const pad = (s: string | number, n: number) => String(s).padStart(n);

try {
  await new Promise((r) => setTimeout(r, 3000));
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`  ${m.text()}`));
  await page.goto(`http://127.0.0.1:${port}/step.html#${hash}`);
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
    console.log([
      r.backend.padEnd(8), r.case.padEnd(13), pad(r.config.batchSize ?? '–', 5),
      pad(s ? s.imagesPerSec.toFixed(1) : 'skipped', 13), pad(gflops?.toFixed(2) ?? '–', 8), pad(r.ceilingGflops.toFixed(2), 16),
      pad(gflops ? `${((100 * gflops) / r.ceilingGflops).toFixed(0)}%` : '–', 10),
      pad(p ? p.imagesPerSec.toFixed(1) : 'fails', 12), pad(s && p ? `${(s.imagesPerSec / p.imagesPerSec).toFixed(1)}×` : '–', 9),
    ].join(' '));
  }
  const notes = rows.flatMap((r) => [
    ...('skipped' in r.studio && r.studio.skipped ? [`${r.backend}/${r.case} studio: ${r.studio.skipped}`] : []),
    ...('skipped' in r.plain && r.plain.skipped ? [`${r.backend}/${r.case} plain: ${r.plain.skipped}`] : []),
  ]);
  if (notes.length) console.log(`\n${[...new Set(notes)].join('\n')}`);

  // The speed targets, per case: the studio on WASM against WASM's ceiling, and against the
  // best backend the plain step runs on.
  for (const id of [...new Set(rows.map((r) => r.case))]) {
    const wasm = rows.filter((r) => r.case === id && r.backend.startsWith('wasm')).sort((a, b) => (timed(b.studio)?.imagesPerSec ?? 0) - (timed(a.studio)?.imagesPerSec ?? 0))[0];
    const ws = wasm && timed(wasm.studio);
    const plainBest = Math.max(0, ...rows.filter((r) => r.case === id).map((r) => timed(r.plain)?.imagesPerSec ?? 0));
    if (!ws || !wasm) continue;
    const share = (ws.imagesPerSec * wasm.trainFlopsPerImage) / 1e9 / wasm.ceilingGflops;
    console.log(`${id}: studio on ${wasm.backend} ${ws.imagesPerSec.toFixed(1)} img/s = ${(100 * share).toFixed(0)}% of the wasm ceiling (target ≥ 35%); ` +
      `${plainBest ? `${(ws.imagesPerSec / plainBest).toFixed(1)}× the best plain backend (${plainBest.toFixed(1)} img/s; target ≥ 15×)` : 'the plain step runs on no backend'}`);
  }
  const { profile, deferred } = result.extras ?? {};
  if (profile) {
    const total = profile.kernels.reduce((a, k) => a + k.ms, 0);
    console.log(`\nprofile, ${profile.backend}, ${profile.case}: ${total.toFixed(0)} ms of kernels`);
    for (const k of profile.kernels.slice(0, 12)) console.log(`  ${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms ${((100 * k.ms) / total).toFixed(1).padStart(5)}%  ${k.calls} calls`);
  }
  if (deferred) console.log(`\nwebgpu WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: ${deferred.map((d) => `${d.value}: ${d.imagesPerSec.toFixed(2)} img/s`).join(', ')}`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/step-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${hostname()}.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), hash, ...result }, null, 1));
  console.log(`\nwrote ${file}`);
} finally {
  server.kill();
}
