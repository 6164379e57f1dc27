// Linear probe: a softmax classifier on frozen, standardized features (the standard linear
// evaluation of self-supervised representations), trained with SGD, momentum 0.9, or Adam
// (Kingma & Ba 2015, torch.optim.Adam defaults β = (0.9, 0.999), ε = 1e-8), both with cosine
// decay of the learning rate; weight decay (L2 added to the gradient, as torch's weight_decay)
// on the weights, not the bias.
import type { TrainConfig } from '../contract/config';
import * as tf from '@tensorflow/tfjs';
import { mulberry32, permutation } from '../dataset/random';
import { nextTask } from '../train/next-task';
import type { FeaturePair } from './cache';
import type { EvalJob } from './job';

export interface ProbeOptions {
  numClasses: number;
  epochs: number;
  lr: number;
  weightDecay: number;
  optimizer?: TrainConfig['probeOptimizer']; // default 'sgd'
  batchSize?: number;
  seed?: number;
}

/** The probe's options as the page sets them. */
export function probeOptions(
  config: Pick<TrainConfig, 'probeEpochs' | 'probeLr' | 'probeWeightDecay' | 'probeOptimizer' | 'seed'>,
  numClasses: number,
): ProbeOptions {
  const { probeEpochs: epochs, probeLr: lr, probeWeightDecay: weightDecay, probeOptimizer: optimizer, seed } = config;
  return { numClasses, epochs, lr, weightDecay, optimizer, seed };
}

/** The linear probe an evaluation fits on the features `pair` of its split, with the page's probe
 *  settings (EvalJob); `onEpoch` after each epoch. */
export function fitProbe({ data, config, cancelled }: EvalJob, pair: FeaturePair, onEpoch: (epoch: number) => void): Promise<ProbeResult> {
  const labels = (split: Int32Array) => Int32Array.from(split, (i) => data.labels[i]);
  return linearProbe(
    pair.train,
    labels(data.train),
    pair.test,
    labels(data.test),
    probeOptions(config, data.summary.classes.length),
    onEpoch,
    cancelled,
  );
}

/** A trained probe, to classify new features: softmax(((x − mean) / std) W + b). */
export interface ProbeHead {
  mean: Float32Array; // [D]
  std: Float32Array; // [D]
  w: Float32Array; // [D, C], row-major
  b: Float32Array; // [C]
}

export interface ProbeResult {
  head: ProbeHead;
  top1: number;
  top5: number | null;
  perClass: number[]; // accuracy per true class (NaN for a class with no test samples)
  confusion: number[][]; // [true][predicted] counts
  correct: Uint8Array; // [M] 1 where the top-1 class is right: what a paired comparison of two rows resamples
}

/**
 * trainX [N, D], testX [M, D]; labels index classes. Standardizes both with the training mean and
 * std, trains W [D, C] and b [C] on device (no readback inside an epoch), then scores the test set.
 */
export async function linearProbe(
  trainX: tf.Tensor2D,
  trainY: Int32Array,
  testX: tf.Tensor2D,
  testY: Int32Array,
  o: ProbeOptions,
  onEpoch?: (epoch: number) => void,
  cancelled: () => boolean = () => false,
): Promise<ProbeResult> {
  const [n, d] = trainX.shape;
  const c = o.numClasses;
  const bs = Math.min(o.batchSize ?? 256, n);
  const stepsPerEpoch = Math.ceil(n / bs);
  const total = stepsPerEpoch * o.epochs;
  const rand = mulberry32(o.seed ?? 0);
  const [mean, std, xs, ys] = tf.tidy(() => {
    const m = tf.moments(trainX, 0);
    const s = tf.sqrt(tf.add(m.variance, 1e-6));
    return [m.mean, s, tf.div(tf.sub(trainX, m.mean), s) as tf.Tensor2D, tf.oneHot(tf.tensor1d(trainY, 'int32'), c)];
  });
  // tidy frees the zeros; the variables keep their own reference to the data. m* hold SGD's
  // momentum or Adam's first moment, v* Adam's second moment.
  const zeros = () => [tf.variable(tf.zeros([d, c])), tf.variable(tf.zeros([c]))];
  const [w, b, mw, mb, vw, vb] = tf.tidy(() => [...zeros(), ...zeros(), ...zeros()]);
  const adam = o.optimizer === 'adam';
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  try {
    let step = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      if (cancelled()) throw new Error('linear probe cancelled');
      const order = permutation(n, rand);
      for (let s = 0; s < stepsPerEpoch; s++, step++) {
        const lr = (o.lr * (1 + Math.cos((Math.PI * step) / total))) / 2; // cosine decay to 0
        tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(s * bs, (s + 1) * bs), 'int32');
          const x = tf.gather(xs, idx);
          const y = tf.gather(ys, idx);
          const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar, [w, b]);
          const gw = tf.add(grads[w.name], tf.mul(w, o.weightDecay));
          const gb = grads[b.name];
          if (adam) {
            // Bias-corrected step lr · m̂ / (sqrt(v̂) + ε), m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t).
            const t = step + 1;
            for (const [p, g, m, v] of [
              [w, gw, mw, vw],
              [b, gb, mb, vb],
            ] as const) {
              m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
              v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
              const mHat = tf.div(m, 1 - beta1 ** t);
              const vHat = tf.div(v, 1 - beta2 ** t);
              p.assign(tf.sub(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr)));
            }
          } else {
            mw.assign(tf.add(tf.mul(mw, 0.9), gw));
            mb.assign(tf.add(tf.mul(mb, 0.9), gb));
            w.assign(tf.sub(w, tf.mul(mw, lr)));
            b.assign(tf.sub(b, tf.mul(mb, lr)));
          }
        });
      }
      await w.data(); // one wait per epoch keeps the queue short
      await nextTask(); // and lets Cancel and the liveness ping in
      onEpoch?.(epoch + 1);
    }
    const logits = tf.tidy(() => tf.add(tf.matMul(tf.div(tf.sub(testX, mean), std), w), b));
    const scores = await scoreLogits(logits, testY, c);
    logits.dispose();
    const [hm, hs, hw, hb] = (await Promise.all([mean.data(), std.data(), w.data(), b.data()])) as Float32Array[];
    return { head: { mean: hm, std: hs, w: hw, b: hb }, ...scores };
  } finally {
    tf.dispose([mean, std, xs, ys, w, b, mw, mb, vw, vb]);
  }
}

/** Top-1, top-5 (null under 5 classes), per-class accuracy and the confusion [true][predicted]
 *  of logits [M, C] against labels y [M]. One readback. */
export async function scoreLogits(logits: tf.Tensor, y: ArrayLike<number>, c: number): Promise<Omit<ProbeResult, 'head'>> {
  const k = Math.min(5, c);
  const { values, indices } = tf.topk(logits, k);
  const top = await indices.data();
  tf.dispose([values, indices]);
  const m = y.length;
  const confusion = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  let right5 = 0;
  const correct = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    confusion[y[i]][top[i * k]]++;
    correct[i] = top[i * k] === y[i] ? 1 : 0;
    for (let j = 0; j < k; j++) if (top[i * k + j] === y[i]) right5++;
  }
  const perClass = confusion.map((row, t) => row[t] / row.reduce((a, v) => a + v, 0));
  const right1 = confusion.reduce((a, row, t) => a + row[t], 0);
  return { top1: right1 / m, top5: c >= 5 ? right5 / m : null, perClass, confusion, correct };
}

/** Class probabilities of features x [n, D] under a trained head: [n, C]. */
export function probeProbabilities(head: ProbeHead, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = head.mean.length;
    const w = tf.tensor2d(head.w, [d, head.b.length]);
    return tf.softmax(
      tf.add(tf.matMul(tf.div(tf.sub(x, tf.tensor1d(head.mean)), tf.tensor1d(head.std)), w), tf.tensor1d(head.b)),
    ) as tf.Tensor2D;
  });
}
