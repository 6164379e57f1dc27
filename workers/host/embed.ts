// The worker's embeddings calls (EmbedApi in ../contract/api.ts): every image of the loaded dataset
// embedded once with the weights under evaluation (and random init beside them), kept here as
// unit rows, then mapped (PCA, UMAP), searched, curated and clustered; labels chosen on the map
// become the dataset's own.
import * as tf from '@tensorflow/tfjs';
import type { EmbedApi, EmbeddingSet, MapWhich } from '../contract/api';
import { type Dataset, imageName, relabel } from '../dataset/dataset';
import { saveLabels } from '../dataset/dataset-db';
import { rgbaImages } from '../dataset/preview';
import { withEvalJob } from './eval';
import type { EvalJob } from '../eval/job';
import { features as featureCache, requireBackend, requireDataset, requireIdle, state, withEvalWeights, cancelCheck } from './state';
import { pca2d } from '../eval/pca';
import { embed } from '../eval/features';
import { featureKey } from '../eval/session';
import { decodeImages } from '../dataset/ingest';
import { curation, datasetRows, embedImages, GRAPH_K } from '../embed/findings';
import { cosineTopK, type KnnGraph, knnGraph } from '../embed/graph';
import { kCenterGreedy, kmeans, silhouette, suggestK } from '../embed/kmeans';
import { umapLayout, UMAP_NEIGHBOURS } from '../embed/umap';

/** Images one map holds at most (features and the k-NN graph stay in worker memory). */
export const MAX_MAP_IMAGES = 50_000;
const THUMB_SIDE = 32;

interface Held {
  set: EmbeddingSet;
  data: Dataset; // the dataset object embedded; another (or another split) makes the set stale
  x: { trained: Float32Array; random: Float32Array | null }; // [N, D] unit rows
  atypicality: Float32Array; // [N], of the trained features (./findings.ts)
  mean: Float32Array; // [D], the trained features' mean the rows were centred on
  graphs: Partial<Record<MapWhich, Promise<KnnGraph>>>;
}
let held: Held | null = null;

/** The embedded set, if it is still of the loaded dataset. */
function requireHeld(): Held {
  const data = requireDataset();
  if (!held || held.data.pixels !== data.pixels) throw new Error('embed the dataset first (Map the dataset): the loaded dataset changed');
  return held;
}

function rows(h: Held, which: MapWhich): Float32Array {
  const x = h.x[which];
  if (!x) throw new Error('random init was not embedded: map again with "beside random init" on');
  return x;
}

/** The exact k-NN graph of one encoder's features, computed once per set. */
function graph(h: Held, which: MapWhich, onProgress?: (done: number, total: number) => void): Promise<KnnGraph> {
  const cancelled = cancelCheck();
  h.graphs[which] ??= knnGraph(rows(h, which), h.set.count, h.set.dims, GRAPH_K, { onProgress, cancelled }).catch((e) => {
    h.graphs[which] = undefined; // a cancelled or failed graph is computed again next time
    throw e;
  });
  return h.graphs[which];
}

async function pcaOf(x: Float32Array, n: number, d: number) {
  const t = tf.tensor2d(x, [n, d]);
  try {
    return await pca2d(t);
  } finally {
    t.dispose();
  }
}

export const embedApi: EmbedApi = {
  async embeddingPlan(config) {
    requireBackend();
    const data = requireDataset();
    return withEvalWeights(async (w) => {
      // One image through the readout gives the width of a row (not through the feature cache,
      // which a dataset of one image would empty).
      const one = await embed(w.model, data, Int32Array.of(0), w.config.imageSize, config.featLayer, undefined, config.featPool);
      const dims = one.shape[1];
      one.dispose();
      const count = data.shape.count;
      const side = Math.min(THUMB_SIDE, data.shape.height);
      return { count, dims, bytes: count * dims * 4, atlasBytes: count * side * side * 4 };
    });
  },

  async embedAll(config, withRandom, onProgress) {
    requireBackend();
    const data = requireDataset();
    const n = data.shape.count;
    if (n > MAX_MAP_IMAGES) throw new Error(`${n} images: a map holds at most ${MAX_MAP_IMAGES}; open a smaller folder`);
    if (n < UMAP_NEIGHBOURS + 2) throw new Error(`${n} images: a map needs at least ${UMAP_NEIGHBOURS + 2}`);
    const started = performance.now();
    held = null;
    // Each of the map's phases is named: the job's progress always carries one.
    const progress: EvalJob['onProgress'] = (d, t, phase = '') => onProgress(d, t, phase);
    return withEvalJob(data, config, progress, async (job) => {
      const w = job.weights;
      const rows = (row: 'trained' | 'random init', phase: string) =>
        datasetRows(featureCache, w, data, config, row, (d, t) => job.onProgress(d, t, phase), job.cancelled);
      const trained = await rows('trained', 'embedding with the trained weights');
      const random = withRandom ? await rows('random init', 'embedding with random init') : null;
      job.onProgress(0, 1, 'principal axes');
      const p = await pcaOf(trained.x, n, trained.dims);
      const pr = random ? await pcaOf(random.x, n, random.dims) : null;
      const classes = data.summary.unlabeled ? [] : data.summary.classes.map((k) => k.name);
      const name = state.evalCheckpoint?.name ?? `run ${w.source.replace(/^run/, '')}, step ${w.step}`;
      const set: EmbeddingSet = {
        key: `${featureKey(w, config, 'trained')}|${data.summary.id}|${n}`,
        datasetId: data.summary.id,
        name,
        step: w.step,
        snapshot: w.snapshot,
        count: n,
        dims: trained.dims,
        bytes: trained.x.byteLength + (random?.x.byteLength ?? 0),
        featLayer: config.featLayer === 'pool' ? `pool ${config.featPool}` : config.featLayer,
        classes,
        labels: classes.length ? data.labels.slice() : new Int32Array(n).fill(-1),
        split: splitOf(data),
        names: Array.from({ length: n }, (_, i) => imageName(data, i)),
        pca: { trained: p.coords, random: pr?.coords ?? null, explained: p.explained, explainedRandom: pr?.explained ?? null },
        ms: performance.now() - started,
      };
      held = {
        set,
        data,
        x: { trained: trained.x, random: random?.x ?? null },
        atypicality: trained.atypicality,
        mean: trained.mean,
        graphs: {},
      };
      return set;
    });
  },

  async umapLayout(which, onFrame) {
    const h = requireHeld();
    const cancelled = cancelCheck();
    const g = await graph(h, which);
    return umapLayout(g, 0, onFrame, cancelled);
  },

  async curate(options, onProgress) {
    const h = requireHeld();
    const g = await graph(h, 'trained', (d, t) => onProgress(d, t, 'nearest neighbours'));
    onProgress(0, 1, 'duplicates, outliers and labels');
    return curation(g, h.atypicality, h.data, h.set.labels, h.set.classes.length, options);
  },

  async similar(indices, k, which) {
    const h = requireHeld();
    const x = rows(h, which);
    const d = h.set.dims;
    if (indices.length === 0) throw new Error('select at least one image');
    const q = new Float32Array(d);
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= h.set.count) throw new Error(`image ${i} is not in the dataset (0 to ${h.set.count - 1})`);
      for (let j = 0; j < d; j++) q[j] += x[i * d + j];
    }
    const norm = Math.hypot(...q) || 1;
    for (let j = 0; j < d; j++) q[j] /= norm;
    const r = await cosineTopK(x, h.set.count, d, q, k + indices.length, indices.length === 1 ? indices[0] : undefined);
    const chosen = new Set(indices);
    const out = { indices: [] as number[], sims: [] as number[] };
    r.indices.forEach((i, at) => {
      if (chosen.has(i) || out.indices.length >= k) return;
      out.indices.push(i);
      out.sims.push(r.sims[at]);
    });
    return out;
  },

  async similarToFile(file, config, k) {
    requireBackend();
    const h = requireHeld();
    const data = h.data;
    const cancelled = cancelCheck();
    return withEvalWeights(async (w) => {
      if (!h.set.key.startsWith(`${featureKey(w, config, 'trained')}|`))
        throw new Error('the weights or the readout changed since the map was drawn: map the dataset again');
      const images = await decodeImages([file], data.shape.height);
      if (images.rgb.length === 0) throw new Error(`${file.name}: ${images.skipped[0]?.reason ?? 'could not be read'}`);
      const f = await embedImages(w, config, data, images.rgb);
      if (cancelled()) throw new Error('cancelled');
      const d = h.set.dims;
      const q = f.map((v, j) => v - h.mean[j]);
      const norm = Math.hypot(...q) || 1;
      const r = await cosineTopK(
        h.x.trained,
        h.set.count,
        d,
        q.map((v) => v / norm),
        k,
      );
      return { name: images.names[0], indices: Array.from(r.indices), sims: Array.from(r.sims) };
    });
  },

  async clusters(k, seed) {
    const h = requireHeld();
    const started = performance.now();
    const x = h.x.trained;
    const r = await kmeans(x, h.set.count, h.set.dims, k, { seed, cancelled: cancelCheck() });
    return {
      k,
      assign: r.assign,
      sizes: Array.from(r.sizes),
      exemplars: r.exemplars,
      silhouette: silhouette(x, h.set.count, h.set.dims, r.assign, k, { seed }),
      inertia: r.inertia,
      ms: performance.now() - started,
    };
  },

  async suggestClusters(ks, onProgress) {
    const h = requireHeld();
    return suggestK(h.x.trained, h.set.count, h.set.dims, ks, { onProgress, cancelled: cancelCheck() });
  },

  async diverseSubset(m) {
    const h = requireHeld();
    const count = Math.max(1, Math.min(h.set.count, Math.round(m)));
    const r = await kCenterGreedy(h.x.trained, h.set.count, h.set.dims, count, { cancelled: cancelCheck() });
    return { picked: Array.from(r.picked), radius: Array.from(r.radius) };
  },

  async thumbs(indices) {
    const data = requireDataset();
    for (const i of indices)
      if (!Number.isInteger(i) || i < 0 || i >= data.shape.count) throw new Error(`image ${i} is not in the dataset`);
    return rgbaImages(data, indices, THUMB_SIDE);
  },

  async applyLabels(names, testFraction, seed) {
    const data = requireDataset();
    requireIdle('relabelling its dataset');
    if (names.length !== data.shape.count) throw new Error(`${names.length} labels for ${data.shape.count} images: label every image`);
    const classNames = [...new Set(names)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    if (classNames.some((c) => !c.trim())) throw new Error('a label is empty: name every cluster or selection');
    const index = new Map(classNames.map((c, i) => [c, i]));
    const labels = Int32Array.from(names, (c) => index.get(c)!);
    if (data.summary.storedBytes !== undefined) await saveLabels(data.summary.id, classNames, labels);
    const next = relabel(data, labels, classNames, testFraction, seed);
    state.dataset = next;
    if (held?.data === data) {
      held.data = next;
      held.set = { ...held.set, classes: classNames, labels: labels.slice(), split: splitOf(next) };
    }
    return next.summary;
  },
};

function splitOf(d: Dataset): Uint8Array {
  const split = new Uint8Array(d.shape.count);
  d.test.forEach((i) => (split[i] = 1));
  return split;
}
