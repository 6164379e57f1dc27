// What the worker's evaluation calls share: the weights under evaluation (always a copy), their
// features for each table row (embedded once per weights, BatchNorm adaptation and layer, cached),
// the PCA feature map and the neighbour gallery drawn from those same cached features.
import * as tf from '@tensorflow/tfjs';
import type { FeatureMap, NeighbourGallery } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import { rgbaImages } from '../dataset/preview';
import { buildModel, type VicregModel } from '../model/model';
import type { FeatureCache, FeaturePair } from './cache';
import { embed } from './features';
import { l2Normalize } from './knn';
import { pca2d } from './pca';
import type { EvalJob } from './job';
import { checkEvaluable, type RowFeatures, type RowName } from './report';
import { adaptBatchNorm, cloneModel } from './weights';

/** Points drawn on the map at most (an SVG of a few thousand circles stays responsive). */
export const MAP_POINTS = 2000;
/** Thumbnails on the map and in the gallery are at most this many pixels a side. */
const THUMB_SIDE = 32;

/** The weights an evaluation works on: a copy (cloneModel) that the caller disposes when done. */
export interface EvalWeights {
  source: string; // which run (or checkpoint) they come from, e.g. "run3"
  step: number;
  snapshot: boolean; // copied from a run that is still training
  model: VicregModel;
  config: TrainConfig; // the config they were trained with (architecture, imageSize)
  trainedMs?: number; // how long the run trained to reach them (unknown for older checkpoints)
}

/** Copies `from`'s weights now: later steps of a run still training do not reach the copy. */
export function takeWeights(
  source: string,
  from: { model: VicregModel; step: number; config: TrainConfig; trainedMs?: number },
  snapshot: boolean,
): EvalWeights {
  return { source, step: from.step, snapshot, model: cloneModel(from.model, from.config), config: from.config, trainedMs: from.trainedMs };
}

/** Cache key of one row's features: the weights, the layer and the BatchNorm adaptation. Random
 *  init depends only on the run's config, raw pixels only on the evaluation size. */
export function featureKey(w: EvalWeights, config: TrainConfig, row: RowName): string {
  if (row === 'raw pixels') return `pixels|${w.config.imageSize}`;
  const weights = row === 'trained' ? `${w.source}@${w.step}` : `${w.source}|random`;
  return `${weights}|${readoutKey(config)}`;
}

/** What an encoder's features are read as: its layer, pooling and BatchNorm adaptation ("pool:4x4|bn0"). */
export const readoutKey = (config: Pick<TrainConfig, 'featLayer' | 'featPool' | 'bnAdaptSteps'>) =>
  `${config.featLayer}${config.featLayer === 'pool' ? `:${config.featPool}` : ''}|bn${config.bnAdaptSteps}`;

/** The table's features, through the cache; each row's encoder is embedded at most once. */
export function rowFeatures(
  cache: FeatureCache,
  { weights: w, data, config, cancelled }: Pick<EvalJob, 'weights' | 'data' | 'config' | 'cancelled'>,
): RowFeatures {
  return (row, onProgress) =>
    cache.get(featureKey(w, config, row), data, async () => {
      const bn = row === 'raw pixels' ? 0 : config.bnAdaptSteps;
      const total = bn + data.train.length + data.test.length;
      // BatchNorm adaptation writes running statistics: on a copy of its own, never on w.model.
      const model =
        row === 'raw pixels' ? null : row === 'random init' ? buildModel(w.config) : bn > 0 ? cloneModel(w.model, w.config) : w.model;
      try {
        if (model && bn > 0) {
          await adaptBatchNorm(
            model,
            data,
            { steps: bn, batchSize: w.config.batchSize, imageSize: w.config.imageSize, seed: config.seed },
            (d) => onProgress(d, total),
            cancelled,
          );
        }
        const layer = row === 'raw pixels' ? 'pixels' : config.featLayer;
        const check = () => {
          if (cancelled()) throw new Error('evaluation cancelled');
        };
        const train = await embed(
          model,
          data,
          data.train,
          w.config.imageSize,
          layer,
          (d) => (check(), onProgress(bn + d, total)),
          config.featPool,
        );
        try {
          const test = await embed(
            model,
            data,
            data.test,
            w.config.imageSize,
            layer,
            (d) => (check(), onProgress(bn + data.train.length + d, total)),
            config.featPool,
          );
          return { train, test };
        } catch (e) {
          train.dispose();
          throw e;
        }
      } finally {
        if (model && model !== w.model) model.dispose();
      }
    });
}

/** Up to `max` positions of the test split, a seeded sample in split order when there are more. */
export function mapSample(m: number, max: number, seed: number): Int32Array {
  if (m <= max) return Int32Array.from({ length: m }, (_, i) => i);
  return permutation(m, mulberry32(seed ^ 0x3a9))
    .subarray(0, max)
    .sort();
}

/** The trained encoder's test features on their top two principal axes, with a thumbnail per point. */
export async function featureMap(cache: FeatureCache, job: EvalJob): Promise<FeatureMap> {
  const { weights: w, data, config } = job;
  checkEvaluable(data, 'the feature map');
  const key = featureKey(w, config, 'trained');
  const pair = await rowFeatures(cache, job)('trained', job.onProgress);
  const positions = mapSample(data.test.length, MAP_POINTS, config.seed);
  const x = tf.tidy(() => tf.gather(pair.test, positions) as tf.Tensor2D);
  tf.dispose([pair.train, pair.test]);
  try {
    const { coords, explained } = await pca2d(x);
    const { size, images } = await rgbaImages(
      data,
      Array.from(positions, (p) => data.test[p]),
      THUMB_SIDE,
    );
    return {
      key,
      step: w.step,
      snapshot: w.snapshot,
      featLayer: config.featLayer,
      featPool: config.featPool,
      bnAdaptSteps: config.bnAdaptSteps,
      classes: data.summary.classes.map((k) => k.name),
      testCount: data.test.length,
      explained,
      points: Array.from(positions, (p, i) => ({ x: coords[2 * i], y: coords[2 * i + 1], label: data.labels[data.test[p]], test: p })),
      thumbSize: size,
      thumbs: images,
    };
  } finally {
    x.dispose();
  }
}

/** The k training images most similar (cosine, as k-NN) to test image `test`, best first. */
export async function neighbours(pair: FeaturePair, data: Dataset, test: number, k: number): Promise<NeighbourGallery> {
  const [m] = pair.test.shape;
  if (!Number.isInteger(test) || test < 0 || test >= m) throw new Error(`test image ${test} is outside the test split (0 to ${m - 1})`);
  const kk = Math.min(k, pair.train.shape[0]);
  const { values, indices } = tf.tidy(() => {
    const q = l2Normalize(tf.slice(pair.test, [test, 0], [1, -1]) as tf.Tensor2D);
    return tf.topk(tf.reshape(tf.matMul(q, l2Normalize(pair.train), false, true), [-1]), kk);
  });
  const [sims, idx] = await Promise.all([values.data(), indices.data()]);
  tf.dispose([values, indices]);
  const index = Array.from(idx, (j) => data.train[j]);
  const { size, images } = await rgbaImages(data, [data.test[test], ...index], THUMB_SIDE);
  return {
    test,
    label: data.labels[data.test[test]],
    thumb: images[0],
    thumbSize: size,
    items: index.map((i, r) => ({ index: i, label: data.labels[i], similarity: sims[r], thumb: images[r + 1] })),
  };
}
