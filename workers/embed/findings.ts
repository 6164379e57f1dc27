// What the embeddings panel computes from the features, apart from the worker's calls, so that a
// script in Node (bench/embeddings.ts) computes exactly what the panel shows: the dataset's rows as
// the map and the curation read them, and the curation's findings.
import * as tf from '@tensorflow/tfjs';
import type { CurationOptions, CurationReport } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../dataset/dataset';
import { embed, queryDataset } from '../eval/features';
import type { FeatureCache } from '../eval/cache';
import { l2Normalize } from '../eval/knn';
import { type EvalWeights, rowFeatures } from '../eval/session';
import { exactDuplicateGroups, labelSuspects, nearDuplicateGroups, outlierScores, topByScore } from './curate';
import type { KnnGraph } from './graph';

/** Neighbours kept per image: UMAP's 15 (with itself), the label vote's k and the outlier
 *  score's fit under it. */
export const GRAPH_K = 50;

/** Every image's features in dataset order as unit rows [N, D], centred on their mean first, read
 *  back: the table's cached train and test features (../eval/session.ts rowFeatures). Centred
 *  because a pooled ReLU feature is non-negative: uncentred, every pair's cosine sits near 1 (the
 *  mean direction dominates) and a fixed duplicate threshold means little; centred, cosine 0 is
 *  "unrelated", as in retrieval practice (Jégou & Chum, ECCV 2012, centring before whitening).
 *  Also each image's atypicality [N]: the length of its centred feature in standard units of each
 *  dimension, a Mahalanobis distance to the dataset's mean with a diagonal covariance (the
 *  simplification of Lee et al., NeurIPS 2018, "A simple unified framework for detecting
 *  out-of-distribution samples"); unlike the k-NN score it flags a small cluster of odd images. */
export async function datasetRows(
  featureCache: FeatureCache,
  w: EvalWeights,
  data: Dataset,
  config: TrainConfig,
  row: 'trained' | 'random init',
  onProgress: (done: number, total: number) => void,
  cancelled: () => boolean,
): Promise<{ x: Float32Array; dims: number; atypicality: Float32Array; mean: Float32Array }> {
  const pair = await rowFeatures(featureCache, { weights: w, data, config, cancelled })(row, onProgress);
  const stats: tf.Tensor[] = [];
  try {
    const dims = pair.train.shape[1];
    const n = data.shape.count;
    const x = new Float32Array(n * dims);
    const atypicality = new Float32Array(n);
    const parts = [
      [pair.train, data.train],
      [pair.test, data.test],
    ] as const;
    const sum = (f: (t: tf.Tensor2D) => tf.Tensor) =>
      tf.tidy(() => parts.filter(([, o]) => o.length).reduce((a, [t]) => tf.add(a, tf.sum(f(t), 0, true)), tf.zeros([1, dims])));
    const mean = tf.tidy(() =>
      tf.div(
        sum((t) => t),
        n,
      ),
    );
    const std = tf.tidy(() =>
      tf.add(
        tf.sqrt(
          tf.div(
            sum((t) => tf.square(tf.sub(t, mean))),
            n,
          ),
        ),
        1e-3,
      ),
    ); // the floor keeps a dead unit from dividing by 0
    stats.push(mean, std);
    for (const [t, order] of parts) {
      if (order.length === 0) continue;
      const [unit, z] = tf.tidy(() => {
        const centred = tf.sub(t, mean) as tf.Tensor2D;
        return [l2Normalize(centred), tf.norm(tf.div(centred, std), 'euclidean', 1)];
      });
      const [values, lengths] = await Promise.all([unit.data(), z.data()]);
      tf.dispose([unit, z]);
      order.forEach((i, r) => {
        x.set(values.subarray(r * dims, (r + 1) * dims), i * dims);
        atypicality[i] = lengths[r] / Math.sqrt(dims);
      });
    }
    return { x, dims, atypicality, mean: (await mean.data()) as Float32Array };
  } finally {
    tf.dispose([pair.train, pair.test, ...stats]);
  }
}

/** New images (RGB at the dataset's stored size, as ../dataset/ingest.ts decodes them) through the
 *  weights' readout, normalised with the dataset's channel statistics: [D] per image, flat. */
export async function embedImages(w: EvalWeights, config: TrainConfig, data: Dataset, rgb: Uint8Array[]): Promise<Float32Array> {
  const query = queryDataset(data, rgb);
  const t = await embed(w.model, query, Int32Array.from(rgb.keys()), w.config.imageSize, config.featLayer, undefined, config.featPool);
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Percentile rank of each score in [0, 1] (the highest 1). [n] */
function percentileRanks(scores: Float32Array): Float32Array {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  const out = new Float32Array(scores.length);
  order.forEach((i, r) => (out[i] = scores.length > 1 ? r / (scores.length - 1) : 1));
  return out;
}

/** The outlier score the panel ranks by: the higher of the two percentile ranks, the k-NN
 *  distance (an isolated image) and the atypicality (an image unlike the whole set, even in a
 *  clump of its own kind). [n] in [0, 1] */
export function combinedOutlierScore(knn: Float32Array, atypicality: Float32Array): Float32Array {
  const a = percentileRanks(knn);
  const b = percentileRanks(atypicality);
  return a.map((v, i) => Math.max(v, b[i]));
}

/** Duplicates (exact by pixels, near by cosine), outliers and label suspects from the trained
 *  features' k-NN graph. labels: -1 where unlabeled. */
export function curation(
  g: KnnGraph,
  atypicality: Float32Array,
  data: Dataset,
  labels: Int32Array,
  numClasses: number,
  options: CurationOptions,
): CurationReport {
  const started = performance.now();
  const clamp = (v: number) => Math.max(1, Math.min(g.k, Math.round(v)));
  const k = clamp(options.k);
  const outlierK = clamp(options.outlierK);
  const perImage = data.shape.height * data.shape.width * data.shape.channels;
  const knnScores = outlierScores(g, outlierK);
  const scores = combinedOutlierScore(knnScores, atypicality);
  const suspects = numClasses > 0 ? labelSuspects(g, labels, numClasses, k) : [];
  // The vote's class: the given label where the vote agrees, the suggested one where not.
  const predicted = labels.slice();
  for (const s of suspects) predicted[s.index] = s.suggested;
  return {
    k,
    outlierK,
    exact: exactDuplicateGroups(data.pixels, data.shape.count, perImage),
    near: nearDuplicateGroups(g, options.duplicateThreshold),
    outlierScores: scores,
    knnDistance: knnScores,
    atypicality,
    outliers: Array.from(topByScore(scores, options.outliers)),
    suspects: suspects.slice(0, options.suspects),
    predicted,
    ms: performance.now() - started,
  };
}
