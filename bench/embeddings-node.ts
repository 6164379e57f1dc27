// The embeddings panel's curation on the planted-fault set (test/planted.ts), in Node on WASM, with
// the worker's own functions: how many planted faults each setting finds. For choosing the
// defaults the browser test (test/e2e/embeddings.spec.ts) holds.
//   npx tsx bench/embeddings-node.ts hash=epochs=4 k=10 threshold=0.98
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { configFromHash } from '../workers/contract/url';
import { fromPixels } from '../workers/dataset/dataset';
import { curation, datasetRows, GRAPH_K } from '../workers/embed/findings';
import { knnGraph } from '../workers/embed/graph';
import { FeatureCache } from '../workers/eval/cache';
import { takeWeights } from '../workers/eval/session';
import { RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { countFound, plantFaults } from '../test/planted';
import { benchArgs } from './args';

const args = benchArgs();
const { config } = configFromHash(args.hash ?? 'epochs=4');
registerWasmGradKernels();
await tf.setBackend('wasm');
const meta = JSON.parse(readFileSync('public/sample/fashion-mnist-2k.json', 'utf8'));
const images = plantFaults(readFileSync(`public/sample/${meta.pixels}`), readFileSync(`public/sample/${meta.labels}`));
const pixels = new Uint8Array(images.length * 28 * 28);
images.forEach((m, i) => pixels.set(m.pixels, i * 784));
const data = fromPixels(
  pixels,
  { count: images.length, height: 28, width: 28, channels: 1 },
  Int32Array.from(images, (m) => m.filed),
  meta.classes,
  { id: 'planted', name: 'planted', source: 'test/planted.ts', testFraction: config.testFraction, seed: config.seed },
);
data.paths = images.map((m) => m.file);
let t0 = performance.now();
const run = await train(data, config, new RunControl(), () => {});
console.log(`trained ${run.step} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s (${args.hash ?? 'epochs=4'})`);
const w = takeWeights('run1', run, false);
const cache = new FeatureCache();
for (const row of ['trained', 'random init'] as const) {
  t0 = performance.now();
  const { x, dims, atypicality } = await datasetRows(
    cache,
    w,
    data,
    config,
    row,
    () => {},
    () => false,
  );
  const g = await knnGraph(x, data.shape.count, dims, GRAPH_K);
  const embedMs = performance.now() - t0;
  for (const outlierK of (args.outlierK ?? '50').split(',').map(Number))
    for (const k of (args.k ?? '10').split(',').map(Number))
      for (const threshold of (args.threshold ?? '0.98').split(',').map(Number)) {
        const c = curation(g, atypicality, data, data.labels, 10, {
          k,
          outlierK,
          duplicateThreshold: threshold,
          outliers: 40,
          suspects: 80,
        });
        const rows = [
          ...c.exact.flatMap((gr, j) => gr.map((i) => ({ kind: 'exact', group: String(j), file: images[i].file }))),
          ...c.near.flatMap((gr, j) => gr.members.map((i) => ({ kind: 'near', group: String(j), file: images[i].file }))),
          ...c.outliers.map((i, r) => ({ kind: 'outlier', group: String(r), file: images[i].file })),
          ...c.suspects.map((s, r) => ({ kind: 'suspect', group: String(r), file: images[s.index].file })),
        ];
        const f = countFound(images, rows);
        console.log(
          `${row} (${dims} dims, ${(embedMs / 1000).toFixed(1)} s) k=${k} outlierK=${outlierK} cos≥${threshold}: exact ${f.exact}/10 (${f.exactGroups} groups), near ${f.near}/10 (${f.nearGroups} groups), foreign ${f.foreign}/20 of top ${f.outliers}, misfiled ${f.swapped}/40 of top ${f.suspects}`,
        );
      }
  // Where the foreign images stand: rank by outlier score (k = 10) among all.
  {
    const c = curation(g, atypicality, data, data.labels, 10, {
      k: 10,
      outlierK: Number(args.outlierK?.split(',')[0] ?? 50),
      duplicateThreshold: 0.9,
      outliers: data.shape.count,
      suspects: 0,
    });
    const rank = new Map(c.outliers.map((i, r) => [i, r + 1]));
    console.log(
      `  foreign ranks: ${images
        .map((m, i) => (m.kind === 'foreign' ? `${m.file.split('-')[1]}:${rank.get(i)}` : ''))
        .filter(Boolean)
        .join(' ')}`,
    );
    console.log(
      `  top 12 outliers: ${c.outliers
        .slice(0, 12)
        .map((i) => images[i].file)
        .join(' ')}`,
    );
    const fi = images.findIndex((m) => m.kind === 'foreign');
    console.log(
      `  foreign-0's neighbours: ${Array.from(g.indices.subarray(fi * GRAPH_K, fi * GRAPH_K + 16), (j, t) => `${images[j].file}@${g.sims[fi * GRAPH_K + t].toFixed(2)}`).join(' ')}`,
    );
  }
  // Where the planted near copies stand: similarity to their original and rank among its neighbours.
  const byFile = new Map(images.map((m, i) => [m.file, i]));
  const ranks = images
    .filter((m) => m.kind === 'shift')
    .map((m) => {
      const i = byFile.get(m.file)!;
      const j = byFile.get(m.of!)!;
      const at = Array.from(g.indices.subarray(i * GRAPH_K, i * GRAPH_K + 16)).indexOf(j);
      const first = images[g.indices[i * GRAPH_K]].file;
      return `${at < 0 ? 'out' : `${at + 1}@${g.sims[i * GRAPH_K + at].toFixed(3)}`} (1st ${first} ${g.sims[i * GRAPH_K].toFixed(3)}, self ${m.file})`;
    });
  console.log(`  near copies' originals: rank@cosine ${ranks.join(' ')}`);
}
