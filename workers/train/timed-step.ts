// One training step as the loop runs it: the batch's two augmented views made on the device, then
// the step itself (./step.ts). Every diagEvery steps the step is timed: the device queue drains,
// then the views and the step are each waited for, which splits the time into data and compute.
// These are the only places the loop waits for the device on purpose.
import * as tf from '@tensorflow/tfjs';
import type { MetricRecord } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import { augmentView, viewOptions } from '../dataset/augment';
import { uploadBatch, type Dataset } from '../dataset/dataset';
import type { Rng } from '../dataset/random';
import type { PhaseClock } from './phases';
import { trainStep, type StepContext, type StepOutput } from './step';

export type Views = (batch: Int32Array, rand: Rng) => [tf.Tensor4D, tf.Tensor4D];

/** The two views of a batch ([B, H, W, 3] each), drawn from `rand`: two independent augmentations
 *  of each image, as facebookresearch/vicreg augmentations.py's TrainTransform draws them. */
export function twoViews(data: Dataset, c: TrainConfig): Views {
  const inBatch = Int32Array.from({ length: c.batchSize }, (_, k) => k); // crop box b samples image b
  const view1 = viewOptions(c, 1, data.summary);
  const view2 = viewOptions(c, 2, data.summary);
  return (batch, rand) => {
    const x = uploadBatch(data, batch);
    return [augmentView(x, inBatch, view1, data, rand), augmentView(x, inBatch, view2, data, rand)];
  };
}

/** Resolves when the device has computed `tensors` (a one-number reduction is read back). */
async function settle(tensors: tf.Tensor[]): Promise<void> {
  const probe = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(t))));
  await probe.data();
  probe.dispose();
}

export interface StepRequest {
  ctx: StepContext;
  views: () => [tf.Tensor4D, tf.Tensor4D];
  step: number;
  lr: number;
  diagnose: boolean;
  /** Waits until every queued metric is read: a timed step starts from an empty queue. */
  drain: () => Promise<void>;
  clock: PhaseClock;
}

/** Runs one step; its outputs stay on the device. Timed when it diagnoses (not the first step, whose
 *  time is the kernels' warm-up). */
export async function runStep(r: StepRequest): Promise<{ out: StepOutput; timing: Pick<MetricRecord, 'dataMs' | 'computeMs'> }> {
  // tidy keeps every tensor the step returns (nested in the object) and frees the views.
  const run = (x1: tf.Tensor4D, x2: tf.Tensor4D) =>
    tf.tidy(() => trainStep(r.ctx, x1, x2, r.step, r.lr, r.diagnose) as unknown as tf.TensorContainer) as unknown as StepOutput;
  const { clock } = r;
  const views = () => clock.time('data', () => tf.tidy(r.views) as [tf.Tensor4D, tf.Tensor4D]);
  if (!(r.diagnose && r.step > 0)) {
    const [x1, x2] = views();
    const out = clock.time('step', () => run(x1, x2));
    tf.dispose([x1, x2]);
    return { out, timing: {} };
  }
  await r.drain();
  const t0 = performance.now();
  const [x1, x2] = views();
  await settle([x1, x2]);
  const t1 = performance.now();
  const out = clock.time('step', () => run(x1, x2));
  tf.dispose([x1, x2]);
  await settle([out.row]);
  return { out, timing: { dataMs: t1 - t0, computeMs: performance.now() - t1 } };
}
