// Trains on the built-in sample set in Node with the studio's own trainer, on TF.js's WASM backend
// with the studio's gradient kernels (BACKEND=cpu: TF.js's plain CPU backend instead), and prints
// the loss terms of the first and last step and the first and last diagnostics. For numbers in
// notes and for checking a change to the objective without a browser.
//   npx tsx tools/train-node.ts "preset=adaptive&epochs=2"     (any URL-hash settings)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import type { DiagnosticsRecord, MetricRecord, TrainEvent } from '../workers/contract/api';
import { configFromHash } from '../workers/contract/url';
import { RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { loadSample } from './datasets';

const { config, warnings } = configFromHash(process.argv[2] ?? '');
if (warnings.length) throw new Error(warnings.map((w) => `${w.key}=${w.value}: ${w.reason}`).join('; '));
registerWasmGradKernels();
await tf.setBackend(process.env.BACKEND ?? 'wasm');

const data = loadSample({ testFraction: config.testFraction, seed: config.seed });

const metrics: MetricRecord[] = [];
const diagnostics: DiagnosticsRecord[] = [];
const started = performance.now();
const run = await train(data, config, new RunControl(), (e: TrainEvent) => {
  if (e.type === 'metrics') {
    metrics.push(...e.records);
    const r = e.records[e.records.length - 1];
    if (r) process.stderr.write(`\rstep ${r.step}  loss ${r.loss.toFixed(3)}  ${r.msPerStep.toFixed(0)} ms/step   `);
  } else if (e.type === 'diagnostics') diagnostics.push(...e.records);
  else if (e.type === 'warning') console.log(`\nwarning at step ${e.step} (${e.kind}): ${e.message}`);
  else if (e.type === 'state' && e.message) console.log(`\n${e.state}: ${e.message}`);
});
process.stderr.write('\n');

const terms = (r: MetricRecord) =>
  `step ${String(r.step).padStart(4)}: loss ${r.loss.toFixed(4)}  inv ${r.invariance.toFixed(4)}  var ${r.variance.toFixed(4)}  cov ${r.covariance.toFixed(4)}  gammaT ${r.gammaT.toFixed(4)}  lr ${r.lr.toPrecision(3)}`;
const diag = (d: DiagnosticsRecord) =>
  (['projector', 'backbone'] as const)
    .map(
      (w) =>
        `${w}: std ${d[w].stdMin.toFixed(3)}/${d[w].stdMean.toFixed(3)}/${d[w].stdMax.toFixed(3)}  cos ${d[w].cosine.toFixed(3)}  RankMe ${d[w].rankMe.toFixed(2)}`,
    )
    .join('\n  ');
console.log(
  `${tf.getBackend()}: ${run.state} after ${run.step} steps in ${((performance.now() - started) / 1000).toFixed(0)} s (${process.argv[2] ?? 'defaults'})`,
);
if (metrics.length === 0) process.exit(1);
console.log(terms(metrics[0]));
console.log(terms(metrics[metrics.length - 1]));
if (diagnostics.length) console.log(`diagnostics at step ${diagnostics[0].step}:\n  ${diag(diagnostics[0])}`);
if (diagnostics.length)
  console.log(`diagnostics at step ${diagnostics[diagnostics.length - 1].step}:\n  ${diag(diagnostics[diagnostics.length - 1])}`);
