// Shared by the benchmark workers: the matMul ceiling of a backend and a timing loop that gives
// a slow backend a bounded budget. Step times are wall-clock from dispatch to the loss read back,
// one step at a time, after a warm-up step (shader compilation, kernel caches, memory growth).
import * as tf from '@tensorflow/tfjs';

/** GFLOP/s of an n×n float32 matMul (2n³ FLOPs), the backend's practical ceiling. */
export async function matMulCeiling(n = 1024, budgetMs = 8000): Promise<{ gflops: number; ms: number }> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2) as tf.Tensor2D;
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    return performance.now() - t0;
  };
  try {
    const warm = await once();
    let best = warm;
    const start = performance.now();
    for (let i = 0; i < 5 && performance.now() - start < budgetMs; i++) best = Math.min(best, await once());
    return { gflops: (2 * n ** 3) / (best * 1e6), ms: best };
  } finally {
    tf.dispose([a, b]);
  }
}

export interface StepTiming {
  batchSize: number;
  msPerStep: number; // best of the timed steps
  meanMsPerStep: number; // mean of the timed steps
  imagesPerSec: number;
  steps: number; // timed steps
  warmupMs: number;
  loss: number;
}

/**
 * Times `step` (one training step on a batch; resolves to its loss once computed): one warm-up,
 * then at least `minSteps` and until `minMs` have passed, stopping early past `maxMs`.
 */
async function timeSteps(
  step: () => Promise<number>,
  batchSize: number,
  o = { minSteps: 3, minMs: 2000, maxMs: 15_000 },
): Promise<StepTiming> {
  const t0 = performance.now();
  let loss = await step();
  const warmupMs = performance.now() - t0;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < o.minSteps || performance.now() - start < o.minMs) {
    const s = performance.now();
    loss = await step();
    times.push(performance.now() - s);
    if (performance.now() - start > o.maxMs) break;
  }
  const msPerStep = Math.min(...times);
  const meanMsPerStep = times.reduce((a, b) => a + b, 0) / times.length;
  return { batchSize, msPerStep, meanMsPerStep, imagesPerSec: (1000 * batchSize) / msPerStep, steps: times.length, warmupMs, loss };
}

/** timeSteps of a step that returns its loss as the first value of a tensor: read back, then disposed. */
export const timeLossSteps = (step: () => tf.Tensor, batchSize: number): Promise<StepTiming> =>
  timeSteps(async () => {
    const t = step();
    const [loss] = await t.data();
    t.dispose();
    return loss;
  }, batchSize);

/** Random views [B, S, S, 3] for a step: the benchmark times the step, not the augmentation. */
export const randomViews = (b: number, s: number): [tf.Tensor4D, tf.Tensor4D] => [
  tf.randomNormal([b, s, s, 3], 0, 1, 'float32', 7) as tf.Tensor4D,
  tf.randomNormal([b, s, s, 3], 0, 1, 'float32', 8) as tf.Tensor4D,
];
