// Fine-tuning against the linear probe (docs/recipes.md, "Fine-tuning: LP-FT"): trains the default
// recipe for `minutes` in Node (WASM, one thread) on the sample, fits the linear probe on its
// readout, then fine-tunes copies of the weights for the same time as the run trained: from that
// probe (LP-FT, the studio's fine-tune) and from a fresh head on the global pool (plain
// fine-tuning, as before). Prints top-1 with 95% intervals and the paired difference to the probe.
//   npx tsx bench/lpft.ts [minutes=3] [seed=0]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { appendFileSync } from 'node:fs';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { configFromHash } from '../workers/contract/url';
import { FeatureCache } from '../workers/eval/cache';
import { baselineLength, type ProbeStart, trainBaseline } from '../workers/eval/finetune';
import { pairedBootstrap, wilson } from '../workers/eval/intervals';
import type { ProbeHead } from '../workers/eval/probe';
import { evaluationReport } from '../workers/eval/report';
import type { EvalJob } from '../workers/eval/job';
import { rowFeatures, takeWeights } from '../workers/eval/session';
import { cloneModel } from '../workers/eval/weights';
import { releaseRun, RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { loadNamed } from '../tools/datasets';
import { benchArgs } from './args';

const args = benchArgs();
const minutes = Number(args.minutes ?? 3);
const seed = Number(args.seed ?? 0);
const out = args.out ?? 'bench/results/lpft.jsonl';

registerWasmGradKernels();
await tf.setBackend('wasm');
const { config } = configFromHash(`seed=${seed}&budgetMinutes=${minutes}&knnEvery=-1`);
const data = loadNamed('sample', { testFraction: config.testFraction, seed });
const run = await train(data, config, new RunControl(), (e) => {
  if (e.type === 'metrics' && e.records.length) process.stderr.write(`\rVICReg: step ${e.records[e.records.length - 1].step}   `);
});
process.stderr.write('\n');
const w = takeWeights('run', run, false);
const job: EvalJob = { weights: w, data, config, onProgress: () => {}, cancelled: () => false };
let head: ProbeHead | null = null;
const probe = await evaluationReport(job, 'probe', rowFeatures(new FeatureCache(), job), (h) => (head = h));
const probeRow = probe.rows.find((r) => r.name === 'trained')!;
const length = baselineLength(run.trainedMs, run.config.epochs, { ...config, baselineEpochs: 0 });
const n = data.test.length;
const line = (name: string, top1: number, correct: Uint8Array, extra = '') => {
  const { lo, hi } = wilson(Math.round(top1 * n), n);
  const d = pairedBootstrap(probeRow.correct!, correct);
  console.log(
    `| ${name} | ${(100 * top1).toFixed(1)} | ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)} | ${(100 * -d.diff).toFixed(1)} (${(100 * -d.hi).toFixed(1)} to ${(100 * -d.lo).toFixed(1)}) | ${extra} |`,
  );
};
const results: Record<string, unknown> = { probe: probeRow.top1 };
console.log(
  `\nsample, seed ${seed}, the default recipe for ${minutes} min (${run.step} steps, ${((run.trainedMs ?? 0) / 1000).toFixed(0)} s)`,
);
console.log('| row | top-1 % | 95% interval | row − probe (95% paired) | cost |\n|---|---|---|---|---|');
line('VICReg + linear probe (4×4 grid)', probeRow.top1, probeRow.correct!);
for (const [name, start] of [
  ['LP-FT (from the probe, 4×4 grid)', { head: head!, pool: config.featPool } as ProbeStart],
  ['fine-tune, fresh head on the global pool', undefined],
] as const) {
  const model = cloneModel(w.model, w.config);
  const r = await trainBaseline(job, {
    kind: 'finetune',
    model,
    length,
    onEpoch: (e) => process.stderr.write(`\r${name}: epoch ${e}   `),
    probe: start,
  });
  process.stderr.write('\n');
  model.dispose();
  line(name, r.top1, r.correct, `${r.cost.epochs} epochs, ${r.cost.seconds.toFixed(0)} s`);
  results[name] = { top1: r.top1, epochs: r.cost.epochs, seconds: r.cost.seconds };
}
appendFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), seed, minutes, steps: run.step, trainedMs: run.trainedMs, ...results })}\n`,
);
w.model.dispose();
releaseRun(run);
