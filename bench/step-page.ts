// The benchmark page (UI thread, no TF.js): for each backend, the matMul ceiling, then each
// model case's training step in the studio's worker and written the plain TF.js way, at a batch
// small enough that a slow backend finishes. Results land in window.benchResult for bench/run.ts.
import * as Comlink from 'comlink';
import { DEFAULT_CONFIG, type BackendName, type TrainConfig } from '../workers/contract/config';
import { applyPreset, RECIPE_IDS } from '../workers/contract/presets';
import { modelCard } from '../workers/model/card';
import type { PlainBench } from './worker/plain-step';
import type { StudioBench } from './worker/studio-step';
import type { DispatchCount } from './worker/dispatches';
import type { StepTiming } from './worker/timing';
import { errorMessage } from '../workers/contract/errors';

export interface BenchRow {
  backend: string;
  case: string;
  config: Partial<TrainConfig>;
  trainFlopsPerImage: number; // forward × 3 (backward ≈ 2× forward) × 2 views
  ceilingGflops: number;
  studio: StepTiming | { skipped: string };
  plain: StepTiming | { skipped: string };
}

const log = (s: string) => {
  document.getElementById('log')!.textContent += `${s}\n`;
  console.log(s);
};

const params = new URLSearchParams(location.hash.slice(1));
const backends = (params.get('backends') ?? 'wasm,wasm-1t,webgl,webgpu,cpu').split(',');
const MAX_STEP_MS = Number(params.get('maxStepMs') ?? 15_000);
const CEILING_N = Number(params.get('n') ?? 1024);

/** The model cases: every recipe (workers/contract/presets.ts RECIPES), 'defaults' among them. */
function cases(): [string, TrainConfig][] {
  // `recompute=on|off|auto` overrides every case's setting (auto: as the studio decides).
  const recompute = params.get('recompute') as TrainConfig['recompute'] | null;
  const all = RECIPE_IDS.map((id): [string, TrainConfig] => [
    id,
    { ...applyPreset(DEFAULT_CONFIG, id), ...(recompute ? { recompute } : {}) },
  ]);
  const wanted = params.get('cases')?.split(',');
  return wanted ? all.filter(([id]) => wanted.includes(id)) : all;
}

/**
 * The recipe's batch, halved (to at least 2) until the estimated step fits MAX_STEP_MS at 20% of
 * the ceiling and the model card's training memory fits MEMORY_BUDGET (WASM's heap is 4 GiB, and
 * a step past it aborts the worker); null when even batch 2 would take over 4 × MAX_STEP_MS.
 */
const MEMORY_BUDGET = 3 * 1024 ** 3;
function batchFor(config: TrainConfig, flops: number, ceiling: number): number | null {
  const estMs = (b: number) => ((b * flops) / (0.2 * ceiling * 1e9)) * 1000;
  const fits = (b: number) => estMs(b) <= MAX_STEP_MS && modelCard({ ...config, batchSize: b }).memory.total <= MEMORY_BUDGET;
  let b = config.batchSize;
  while (b > 2 && !fits(b)) b = Math.max(2, b >> 1);
  return estMs(b) > 4 * MAX_STEP_MS ? null : b;
}

/** `profile=<backend>`: the kernels of one step of the first case; `deferred=1,4,16` on webgpu:
 *  the step at each WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE. */
export interface BenchExtras {
  profile?: { backend: string; case: string; kernels: { name: string; ms: number; calls: number }[] };
  /** `dispatches=1` on webgpu: one step of each case at its recipe's batch, counted, not timed. */
  dispatches?: { case: string; batchSize: number; count: DispatchCount }[];
  deferred?: { value: number; imagesPerSec: number }[];
}
const extras: BenchExtras = {};

async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Vite bundles a worker only when it sees `new Worker(new URL(...))` written out.
  const spawnStudio = () => Comlink.wrap<StudioBench>(new Worker(new URL('./worker/studio-step.ts', import.meta.url), { type: 'module' }));
  const threaded = spawnStudio();
  const plain = Comlink.wrap<PlainBench>(new Worker(new URL('./worker/plain-step.ts', import.meta.url), { type: 'module' }));
  for (const name of backends) {
    // 'wasm-1t': WASM on its single-threaded build, in a worker of its own (a worker starts WASM once).
    const single = name === 'wasm-1t';
    const backend = (single ? 'wasm' : name) as BackendName;
    const studio = single ? spawnStudio() : threaded;
    if (single) await studio.setFlag('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const use = await studio.use(backend);
    if (!use.ok) {
      log(`${backend}: not available (${use.reason})`);
      continue;
    }
    const ceiling = await studio.ceiling(CEILING_N);
    if (backend === 'wasm' && use.threads) log(`${backend}: ${use.threads} thread${use.threads > 1 ? 's' : ''}`);
    log(`${backend}: ${CEILING_N}² matMul ${ceiling.gflops.toFixed(2)} GFLOP/s (${ceiling.ms.toFixed(0)} ms)`);
    if (params.get('profile') === backend) {
      const [id, c] = cases()[0];
      const kernels = await studio.profile({ ...c, batchSize: batchFor(c, 6 * modelCard(c).flops.total, ceiling.gflops) ?? 8 });
      extras.profile = { backend, case: id, kernels };
      const total = kernels.reduce((a, k) => a + k.ms, 0);
      log(
        `${backend} profile of ${id}: ${kernels
          .slice(0, 8)
          .map((k) => `${k.name} ${((100 * k.ms) / total).toFixed(0)}%`)
          .join(', ')}`,
      );
    }
    if (backend === 'webgpu' && params.get('dispatches')) {
      extras.dispatches = [];
      for (const [id, c] of cases()) {
        const count = await studio.dispatches(c);
        extras.dispatches.push({ case: id, batchSize: c.batchSize, count });
        log(`webgpu ${id} (batch ${c.batchSize}): ${count.dispatches} dispatches and ${count.readbacks} readbacks in one training step`);
        log(`  by kernel: ${count.byKernel.map((k) => `${k.name} ${k.dispatches}`).join(', ')}`);
      }
      continue;
    }
    if (backend === 'webgpu' && params.get('deferred')) {
      const [id, c] = cases()[0];
      extras.deferred = [];
      for (const value of params.get('deferred')!.split(',').map(Number)) {
        await studio.setFlag('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', value);
        const t = await studio.step({ ...c, batchSize: batchFor(c, 6 * modelCard(c).flops.total, ceiling.gflops) ?? 8 });
        extras.deferred.push({ value, imagesPerSec: t.imagesPerSec });
        log(`webgpu ${id}: WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=${value}: ${t.imagesPerSec.toFixed(2)} img/s`);
      }
    }
    const plainUse = single ? { ok: false } : await plain.use(backend);
    for (const [id, base] of cases()) {
      const flops = 6 * modelCard(base).flops.total;
      const b = batchFor(base, flops, ceiling.gflops);
      const row: BenchRow = {
        backend: name,
        case: id,
        config: {},
        trainFlopsPerImage: flops,
        ceilingGflops: ceiling.gflops,
        studio: { skipped: '' },
        plain: { skipped: '' },
      };
      rows.push(row);
      if (b === null) {
        row.studio = row.plain = { skipped: `estimated over ${(4 * MAX_STEP_MS) / 1000} s a step at batch ${Math.min(2, base.batchSize)}` };
        log(`  ${id}: skipped (${row.studio.skipped})`);
        continue;
      }
      const c = { ...base, batchSize: b };
      row.config = {
        backbone: c.backbone,
        imageSize: c.imageSize,
        batchSize: b,
        width: c.width,
        widthMult: c.widthMult,
        projector: c.projector,
      };
      try {
        row.studio = await studio.step(c);
        log(
          `  ${id} (batch ${b}): studio ${row.studio.imagesPerSec.toFixed(1)} img/s (best of ${row.studio.steps}; mean ${((1000 * b) / row.studio.meanMsPerStep).toFixed(1)}), ${((row.studio.imagesPerSec * flops) / 1e9).toFixed(2)} GFLOP/s`,
        );
      } catch (e) {
        row.studio = { skipped: errorMessage(e) };
        log(`  ${id}: studio failed (${row.studio.skipped})`);
      }
      if (single) row.plain = { skipped: 'as on wasm' };
      else if (!plainUse.ok) row.plain = { skipped: plainUse.reason ?? 'backend not available' };
      else {
        try {
          row.plain = await plain.step(c);
          log(`  ${id} (batch ${b}): plain ${row.plain.imagesPerSec.toFixed(1)} img/s`);
        } catch (e) {
          row.plain = { skipped: errorMessage(e).slice(0, 160) };
          log(`  ${id}: plain failed (${row.plain.skipped})`);
        }
      }
    }
  }
  return rows;
}

declare global {
  interface Window {
    benchResult?: { rows?: BenchRow[]; extras?: BenchExtras; error?: string; userAgent: string; threads: number };
  }
}

run().then(
  (rows) => (window.benchResult = { rows, extras, userAgent: navigator.userAgent, threads: navigator.hardwareConcurrency }),
  (e) =>
    (window.benchResult = {
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      userAgent: navigator.userAgent,
      threads: navigator.hardwareConcurrency,
    }),
);
