// Trains on the built-in sample set in Node (WASM, or BACKEND=cpu, as tools/train-node.ts) and
// prints the evaluation table: k-NN and linear probe top-1/top-5 for the trained encoder, a
// random-init encoder of the same architecture and seed, and raw pixels. For the numbers in the
// README.
//   npx tsx tools/eval-node.ts                          (DEFAULT_CONFIG: 10 epochs, 32 px, width 16)
//   BN=0,200 npx tsx tools/eval-node.ts "epochs=2"      (each BatchNorm adaptation setting in turn)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import type { EvalReport } from '../workers/contract/api';
import { configFromHash } from '../workers/contract/url';
import { FeatureCache } from '../workers/eval/cache';
import { takeWeights } from '../workers/eval/session';
import { RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { loadSample } from './datasets';
import { evaluateInNode } from './evaluate';

const { config, warnings } = configFromHash(process.argv[2] ?? '');
if (warnings.length) throw new Error(warnings.map((w) => `${w.key}=${w.value}: ${w.reason}`).join('; '));
registerWasmGradKernels();
await tf.setBackend(process.env.BACKEND ?? 'wasm');

const data = loadSample({ testFraction: config.testFraction, seed: config.seed });

let started = performance.now();
const run = await train(data, config, new RunControl(), (e) => {
  if (e.type === 'metrics' && e.records.length) process.stderr.write(`\rstep ${e.records[e.records.length - 1].step}   `);
});
const trainS = (performance.now() - started) / 1000;
console.log(
  `\n${tf.getBackend()}: ${run.state} after ${run.step} steps in ${trainS.toFixed(0)} s (${process.argv[2] || 'defaults'}); ${data.train.length} train / ${data.test.length} test images`,
);

const cache = new FeatureCache();
const w = takeWeights('run1', run, false);
const pct = (v: number | null) => (v === null ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)}%`);
for (const bn of (process.env.BN ?? '0').split(',').map(Number)) {
  const c = { ...config, bnAdaptSteps: bn };
  const reports: EvalReport[] = [];
  for (const kind of ['knn', 'probe'] as const) {
    started = performance.now();
    reports.push(await evaluateInNode(kind, cache, w, data, c));
    console.log(`${kind}: ${((performance.now() - started) / 1000).toFixed(1)} s (${reports[reports.length - 1].settings})`);
  }
  console.log(
    `\nbnAdaptSteps = ${bn}, features: ${c.featLayer}\n| features | dim | k-NN top-1 | k-NN top-5 | probe top-1 | probe top-5 |\n|---|---|---|---|---|---|`,
  );
  for (const [i, row] of reports[0].rows.entries()) {
    const p = reports[1].rows[i];
    console.log(`| ${row.name} | ${row.dim} | ${pct(row.top1)} | ${pct(row.top5)} | ${pct(p.top1)} | ${pct(p.top5)} |`);
  }
}
