// Trains on the built-in sample set in Node (TF.js CPU backend) with the studio's own trainer and
// prints the loss terms of the first and last step and the last diagnostics. For numbers in notes
// and for checking a change to the objective without a browser. Runs on WASM (with the studio's
// gradient kernels); BACKEND=cpu for TF.js's plain CPU backend.
//   npx tsx tools/train-node.ts "preset=adaptive&epochs=2"     (any URL-hash settings)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm-grads';
import { readFileSync } from 'node:fs';
import type { DiagnosticsRecord, MetricRecord, TrainEvent } from '../workers/contract/api';
import { configFromHash } from '../workers/contract/url';
import { fromPixels } from '../workers/dataset/dataset';
import { RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';

const { config, warnings } = configFromHash(process.argv[2] ?? '');
if (warnings.length) throw new Error(warnings.map((w) => `${w.key}=${w.value}: ${w.reason}`).join('; '));
registerWasmGradKernels();
await tf.setBackend(process.env.BACKEND ?? 'wasm');

const dir = new URL('../public/sample/', import.meta.url);
const meta = JSON.parse(readFileSync(new URL('fashion-mnist-2k.json', dir), 'utf8'));
const pixels = new Uint8Array(readFileSync(new URL(meta.pixels, dir)));
const labels = Int32Array.from(readFileSync(new URL(meta.labels, dir)));
const data = fromPixels(pixels, meta, labels, meta.classes, {
  id: 'sample',
  name: meta.name,
  source: meta.source,
  testFraction: config.testFraction,
  seed: config.seed,
});

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
