// The weights an evaluation works on: always a copy, so that nothing it does (BatchNorm
// adaptation) reaches the run that may still be training or be resumed, and so that a new run,
// which frees the old model, cannot pull the weights from under an evaluation in progress.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import { buildModel, type VicregModel } from '../model/model';
import { evalInput } from './features';
import { nextTask } from '../train/next-task';

/**
 * A scratch model of the same config whose variables hold `model`'s current values. A variable's
 * assign shares the source's buffer (TF.js counts references), so the copy costs no device memory
 * until one side is updated, and the trainer's next step, which assigns new tensors to its own
 * variables, leaves the copy at the step it was taken.
 */
export function cloneModel(model: VicregModel, config: TrainConfig): VicregModel {
  const copy = buildModel(config);
  const from = model.store.params;
  const to = copy.store.params;
  const same =
    from.length === to.length && from.every((p, i) => p.name === to[i].name && p.variable.shape.join() === to[i].variable.shape.join());
  if (!same) {
    copy.dispose();
    throw new Error(
      `cannot copy the weights: the model has ${from.length} variables, a model built from its config has ${to.length} or other shapes`,
    );
  }
  to.forEach((p, i) => p.variable.assign(from[i].variable));
  return copy;
}

export interface BnAdaptOptions {
  steps: number; // forward passes
  batchSize: number; // images per pass (clamped to the training split)
  imageSize: number;
  seed: number;
}

/**
 * BatchNorm adaptation: `steps` forward passes in training mode over unlabeled training images
 * (no augmentation, only the evaluation resize and normalization), so every BatchNorm layer moves
 * its running mean and variance towards this data (momentum 0.1 per pass, layers.ts) and nothing
 * else changes: no gradient is taken, and the trainable variables are only read. Runs in place on
 * `model`; pass a cloneModel copy. Batches follow a seeded shuffle of the training split, again
 * each time it is used up.
 */
export async function adaptBatchNorm(
  model: VicregModel,
  data: Dataset,
  o: BnAdaptOptions,
  onProgress?: (done: number) => void,
  cancelled: () => boolean = () => false,
): Promise<void> {
  const stats = model.store.params.filter((p) => !p.trainable).map((p) => p.variable);
  if (o.steps <= 0 || stats.length === 0) return;
  const n = data.train.length;
  if (n < 2) throw new Error(`BatchNorm adaptation needs at least 2 training images (batch statistics), found ${n}`);
  const bs = Math.max(2, Math.min(o.batchSize, n));
  const rand = mulberry32((o.seed ^ 0xb4ada9) >>> 0);
  let order = permutation(n, rand);
  let at = 0;
  for (let step = 0; step < o.steps; step++) {
    if (cancelled()) throw new Error('BatchNorm adaptation cancelled');
    if (at + bs > n) {
      order = permutation(n, rand);
      at = 0;
    }
    const batch = order.subarray(at, at + bs).map((k) => data.train[k]);
    at += bs;
    tf.tidy(() => {
      model.forward(evalInput(data, batch, o.imageSize), true);
    });
    // Wait for the device now and then, so that the queue stays short and Cancel gets in.
    if ((step + 1) % 10 === 0 || step + 1 === o.steps) {
      await stats[0].data();
      onProgress?.(step + 1);
      await nextTask();
    }
  }
}
