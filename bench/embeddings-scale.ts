// How long the embeddings panel's work takes at 2,000 / 10,000 / 50,000 images (Fashion-MNIST's
// training file), in Node on WASM with the worker's own functions: embedding every image (trained
// weights and random init), PCA, the exact k-NN graph, the curation, UMAP, k-means, and the
// memory the features and graph hold. A short run's weights (epochs=1 on the first 2,000 images).
//   npx tsx bench/embeddings-scale.ts sizes=2000,10000,50000 [hash=...]
import { appendFileSync, mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { configFromHash } from '../workers/contract/url';
import { curation, datasetRows, GRAPH_K } from '../workers/embed/findings';
import { knnGraph } from '../workers/embed/graph';
import { kmeans } from '../workers/embed/kmeans';
import { umapLayout } from '../workers/embed/umap';
import { FeatureCache } from '../workers/eval/cache';
import { pca2d } from '../workers/eval/pca';
import { takeWeights } from '../workers/eval/session';
import { RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { loadFashionTrain } from '../tools/datasets';
import { benchArgs } from './args';

const args = benchArgs();
const { config } = configFromHash(args.hash ?? 'epochs=1');
registerWasmGradKernels();
await tf.setBackend('wasm');
const split = { testFraction: config.testFraction, seed: config.seed };
const run = await train(loadFashionTrain(0, 2000, split), config, new RunControl(), () => {});
const w = takeWeights('run1', run, false);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
mkdirSync('bench/results', { recursive: true });
for (const n of (args.sizes ?? '2000,10000,50000').split(',').map(Number)) {
  const data = loadFashionTrain(0, n, split);
  const cache = new FeatureCache(2 ** 31);
  const t: Record<string, number> = {};
  let t0 = performance.now();
  const trained = await datasetRows(
    cache,
    w,
    data,
    config,
    'trained',
    () => {},
    () => false,
  );
  await datasetRows(
    cache,
    w,
    data,
    config,
    'random init',
    () => {},
    () => false,
  );
  t.embed = performance.now() - t0;
  t0 = performance.now();
  const x = tf.tensor2d(trained.x, [n, trained.dims]);
  await pca2d(x);
  x.dispose();
  t.pca = performance.now() - t0;
  t0 = performance.now();
  const g = await knnGraph(trained.x, n, trained.dims, GRAPH_K);
  t.graph = performance.now() - t0;
  t0 = performance.now();
  curation(g, trained.atypicality, data, data.labels, 10, { k: 20, outlierK: 50, duplicateThreshold: 0.85, outliers: 40, suspects: 80 });
  t.curation = performance.now() - t0;
  t0 = performance.now();
  await umapLayout(
    g,
    0,
    () => {},
    () => false,
  );
  t.umap = performance.now() - t0;
  t0 = performance.now();
  await kmeans(trained.x, n, trained.dims, 10, { seed: 0 });
  t.kmeans = performance.now() - t0;
  const heapMB = process.memoryUsage().rss / 2 ** 20;
  const featuresMB = (2 * trained.x.byteLength) / 2 ** 20;
  const graphMB = (g.indices.byteLength + g.sims.byteLength) / 2 ** 20;
  const line = `${n} images, ${trained.dims} dims: embed (trained + random) ${s(t.embed)}, PCA ${s(t.pca)}, k-NN graph (k ${GRAPH_K}) ${s(t.graph)}, curation ${s(t.curation)}, UMAP ${s(t.umap)}, k-means (k 10) ${s(t.kmeans)}; features ${featuresMB.toFixed(0)} MB, graph ${graphMB.toFixed(0)} MB, process RSS ${heapMB.toFixed(0)} MB`;
  console.log(line);
  appendFileSync(
    'bench/results/embeddings-scale.jsonl',
    `${JSON.stringify({ date: new Date().toISOString(), n, dims: trained.dims, ms: t, featuresMB, graphMB, rssMB: heapMB, hash: args.hash ?? 'epochs=1' })}\n`,
  );
  cache.clear();
}
