// Online k-NN while training, as solo-learn's online evaluation: every `every` steps the current
// weights embed a fixed training subset and a fixed held-out subset (inference mode, no
// augmentation) and k-NN (Wu et al. 2018, the studio's k and T) classifies the held-out one. The
// same subsets read out by raw pixels and by the random-init encoder give the reference lines, so
// the curve says at a glance whether training has taught the encoder more than the pixels hold.
import * as tf from '@tensorflow/tfjs';
import type { KnnBaselines, KnnRecord } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import { evalInput } from '../eval/features';
import { type PairedDifference, pairedBootstrap } from '../eval/intervals';
import { l2Normalize, ranking, vote } from '../eval/knn';
import { readout } from '../eval/readout';
import { buildModel, type VicregModel } from '../model/model';
import { featuresLabel } from '../contract/labels';

/** Subset sizes: enough for a stable curve (±3 points on 256 test images), few enough that an
 *  evaluation costs about two training steps of the default model. */
export const ONLINE_TRAIN = 512;
export const ONLINE_TEST = 256;
/** Share of the training time the online k-NN may take when knnEvery is auto. */
export const ONLINE_SHARE = 0.05;
const CHUNK = 128; // images per forward pass: bounds the activations held at once

/** Fixed, seeded subsets of the training and test splits (indices into the dataset). */
export function onlineSubsets(
  data: Pick<Dataset, 'train' | 'test'>,
  seed: number,
  maxTrain = ONLINE_TRAIN,
  maxTest = ONLINE_TEST,
): { train: Int32Array; test: Int32Array } {
  const rand = mulberry32((seed ^ 0x6b1d) >>> 0);
  const take = (from: Int32Array, max: number) =>
    from.length <= max
      ? from.slice()
      : permutation(from.length, rand)
          .subarray(0, max)
          .sort()
          .map((i) => from[i]);
  return { train: take(data.train, maxTrain), test: take(data.test, maxTest) };
}

/**
 * Steps between evaluations when knnEvery is auto: a few per epoch (every quarter epoch), but no
 * more often than keeps their cost under ONLINE_SHARE of the training time.
 */
export function autoEvery(costMs: number, msPerStep: number, stepsPerEpoch: number, share = ONLINE_SHARE): number {
  const byCost = Math.ceil(costMs / (share * Math.max(msPerStep, 1e-3)));
  return Math.max(1, Math.ceil(stepsPerEpoch / 4), byCost);
}

/**
 * Which test images weighted k-NN gets right ([M], 1 or 0), from the [M, k] best similarities and
 * their training indices (best first), with labels of the training subset and the test subset.
 */
export function knnCorrect(
  values: ArrayLike<number>,
  indices: ArrayLike<number>,
  k: number,
  trainY: ArrayLike<number>,
  testY: ArrayLike<number>,
  numClasses: number,
  temperature: number,
): Uint8Array {
  const right = new Uint8Array(testY.length);
  for (let r = 0; r < testY.length; r++) {
    const sims = Array.from({ length: k }, (_, j) => values[r * k + j]);
    const labels = Array.from({ length: k }, (_, j) => trainY[indices[r * k + j]]);
    if (ranking(vote(sims, labels, numClasses, temperature))[0] === testY[r]) right[r] = 1;
  }
  return right;
}

/** The share of them right: top-1. */
const share = (right: Uint8Array) => right.reduce((a, b) => a + b, 0) / Math.max(right.length, 1);
export const knnTop1 = (...args: Parameters<typeof knnCorrect>): number => share(knnCorrect(...args));

/** An online k-NN point and, where it lies below the raw-pixel line, the paired difference
 *  (trained − pixels) on the same test images with its 95% bootstrap interval. */
export interface KnnPoint {
  record: KnnRecord;
  vsPixels: PairedDifference | null;
}

type Features = (x: tf.Tensor4D) => tf.Tensor2D;

export class OnlineKnn {
  readonly train: Int32Array;
  readonly test: Int32Array;
  private readonly trainY: Int32Array;
  private readonly testY: Int32Array;
  private readonly k: number;

  constructor(
    private data: Dataset,
    private config: TrainConfig,
  ) {
    ({ train: this.train, test: this.test } = onlineSubsets(data, config.seed));
    this.trainY = Int32Array.from(this.train, (i) => data.labels[i]);
    this.testY = Int32Array.from(this.test, (i) => data.labels[i]);
    this.k = Math.min(config.knnK, this.train.length);
  }

  /** Whether the dataset has what k-NN needs: labels, two classes, both subsets non-empty. */
  static possible(data: Dataset): boolean {
    return !data.summary.unlabeled && data.summary.classes.length >= 2 && data.train.length > 0 && data.test.length > 0;
  }

  /** The features the evaluation reads (featLayer, featPool), in inference mode. */
  private features(model: VicregModel | null): Features {
    if (!model) return (x) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    if (this.config.featLayer === 'proj') return (x) => model.forward(x, false).embedding;
    return (x) => readout(model.backbone, x, this.config.featPool);
  }

  /** Enqueues the embedding and the similarity top-k on the device; nothing is read back here. */
  private topk(features: Features): { values: tf.Tensor2D; indices: tf.Tensor2D } {
    const embed = (indices: Int32Array) => {
      const parts: tf.Tensor2D[] = [];
      for (let s = 0; s < indices.length; s += CHUNK) {
        parts.push(tf.tidy(() => l2Normalize(features(evalInput(this.data, indices.subarray(s, s + CHUNK), this.config.imageSize)))));
      }
      const all = tf.concat(parts) as tf.Tensor2D;
      tf.dispose(parts);
      return all;
    };
    const train = embed(this.train);
    const test = embed(this.test);
    const out = tf.tidy(() => tf.topk(tf.matMul(test, train, false, true), this.k));
    tf.dispose([train, test]);
    return out as { values: tf.Tensor2D; indices: tf.Tensor2D };
  }

  /** Wall time of the last measurement, queueing to readback (ms). */
  lastMs = 0;

  /** Which test images `model` (null: raw pixels) gets right; the device work is queued now, the
   *  readback awaited. */
  async measure(model: VicregModel | null): Promise<Uint8Array> {
    const t0 = performance.now();
    const { values, indices } = this.topk(this.features(model));
    try {
      const [v, i] = await Promise.all([values.data(), indices.data()]);
      this.lastMs = performance.now() - t0;
      return knnCorrect(v, i, this.k, this.trainY, this.testY, this.data.summary.classes.length, this.config.knnT);
    } finally {
      tf.dispose([values, indices]);
    }
  }

  /** The raw-pixel line's answers, once baselines() has run. */
  private pixels: Uint8Array | null = null;

  /** The reference lines: raw pixels and a random-init encoder of the run's architecture and seed. */
  async baselines(every: number): Promise<KnnBaselines> {
    this.pixels = await this.measure(null);
    const random = buildModel(this.config);
    try {
      return {
        pixels: share(this.pixels),
        random: share(await this.measure(random)),
        trainCount: this.train.length,
        testCount: this.test.length,
        features: featuresLabel(this.config),
        every,
      };
    } finally {
      random.dispose();
    }
  }

  /** One point of the curve; below the raw-pixel line (once baselines() has run), paired with it:
   *  only such a point can raise the below-pixels notice, so the bootstrap runs only then. */
  async record(model: VicregModel, step: number, epoch: number): Promise<KnnPoint> {
    const right = await this.measure(model);
    const top1 = share(right);
    const below = this.pixels && top1 < share(this.pixels);
    return { record: { step, epoch, top1 }, vsPixels: below ? pairedBootstrap(right, this.pixels!) : null };
  }
}
