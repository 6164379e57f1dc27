// The two baselines that answer "was self-supervised pretraining worth it?": the backbone with a
// linear head on its global pool, trained end to end with cross-entropy on the training split,
// one augmented view per image (view 1's settings), SGD with momentum 0.9 and cosine decay:
//   fine-tune   from the run's weights, the backbone at a tenth of the head's learning rate
//               (facebookresearch/vicreg evaluate.py --weights finetune with --lr-backbone);
//   supervised  from a random init, backbone and head at the same rate (the supervised reference
//               that JAX/Flax and PyTorch VICReg notebooks put beside the linear probe).
// Then the test split, in inference mode: top-1, top-5, per-class accuracy and the confusion.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { augmentView, viewOptions } from '../dataset/augment';
import { uploadBatch, type Dataset } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import type { VicregModel } from '../model/model';
import { isBiasOrNorm } from '../optim/optimizers';
import { embed } from './features';
import { scoreLogits } from './probe';

export type BaselineKind = 'finetune' | 'supervised';

/** Learning rates per group: lr = 0.1 · batch / 256 for the head (evaluate.py's lr-head scale);
 *  the backbone at a tenth of it when fine-tuning, the same when trained from scratch. */
export function baselineLearningRates(kind: BaselineKind, batchSize: number): { head: number; backbone: number } {
  const head = (0.1 * batchSize) / 256;
  return { head, backbone: kind === 'finetune' ? head / 10 : head };
}

export const BASELINE_WEIGHT_DECAY = 5e-4;

export interface BaselineResult {
  top1: number;
  top5: number | null;
  perClass: number[];
  confusion: number[][];
  correct: Uint8Array; // [test images] 1 where the top-1 class is right
  curve: { epoch: number; loss: number }[]; // mean training loss per epoch
  lr: { head: number; backbone: number };
}

/**
 * Trains `model`'s backbone (it is changed: pass a copy) with a fresh linear head for `epochs`,
 * then scores the test split. No readback inside an epoch but the one that ends it.
 */
export async function trainBaseline(
  kind: BaselineKind,
  model: VicregModel,
  data: Dataset,
  c: TrainConfig,
  epochs: number,
  onEpoch: (epoch: number, loss: number) => void,
  cancelled: () => boolean,
): Promise<BaselineResult> {
  const classes = data.summary.classes.length;
  const labels = data.labels;
  const bs = Math.min(c.batchSize, data.train.length);
  const stepsPerEpoch = Math.floor(data.train.length / bs);
  const total = stepsPerEpoch * epochs;
  const lr = baselineLearningRates(kind, bs);
  const rand = mulberry32(c.seed ^ (kind === 'finetune' ? 0x51f7 : 0x5c9a));
  const view = viewOptions(c, 1, data.summary);
  const inBatch = Int32Array.from({ length: bs }, (_, k) => k);
  const d = model.backbone.featureDim;
  // The head: torch nn.Linear's default init, U(±1/sqrt(d)).
  const head = tf.tidy(() => [
    tf.variable(tf.randomUniform([d, classes], -1 / Math.sqrt(d), 1 / Math.sqrt(d), 'float32', c.seed)),
    tf.variable(tf.zeros([classes])),
  ]);
  const backbone = model.store.params.filter((p) => p.trainable && p.name.startsWith('backbone.')).map((p) => p.variable);
  const vars = [...backbone, ...head];
  const momentum = tf.tidy(() => vars.map((v) => tf.variable(tf.zerosLike(v))));
  const curve: BaselineResult['curve'] = [];
  try {
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (cancelled()) throw new Error(`${kind === 'finetune' ? 'fine-tuning' : 'supervised training'} cancelled`);
      const order = permutation(data.train.length, rand);
      let lossSum: tf.Scalar = tf.scalar(0);
      for (let s = 0; s < stepsPerEpoch; s++, step++) {
        const q = 0.5 * (1 + Math.cos((Math.PI * step) / total)); // cosine decay to 0
        const batch = order.subarray(s * bs, (s + 1) * bs).map((k) => data.train[k]);
        const next = tf.tidy(() => {
          const x = augmentView(uploadBatch(data, batch), inBatch, view, data, rand);
          const y = tf.oneHot(
            tf.tensor1d(
              Array.from(batch, (i) => labels[i]),
              'int32',
            ),
            classes,
          );
          const { value, grads } = tf.variableGrads(
            () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(model.backbone.forward(x, true), head[0]), head[1])) as tf.Scalar,
            vars,
          );
          vars.forEach((v, i) => {
            const g = isBiasOrNorm(v) ? grads[v.name] : tf.add(grads[v.name], tf.mul(v, BASELINE_WEIGHT_DECAY));
            momentum[i].assign(tf.add(tf.mul(momentum[i], 0.9), g));
            v.assign(tf.sub(v, tf.mul(momentum[i], q * (i < backbone.length ? lr.backbone : lr.head))));
          });
          return tf.add(lossSum, value) as tf.Scalar;
        });
        lossSum.dispose();
        lossSum = next;
      }
      const loss = (await lossSum.data())[0] / stepsPerEpoch;
      lossSum.dispose();
      curve.push({ epoch: epoch + 1, loss });
      onEpoch(epoch + 1, loss);
    }
    // The test split through the trained backbone (inference mode) and head.
    const features = await embed(model, data, data.test, c.imageSize, 'pool', undefined, 'global');
    const logits = tf.tidy(() => tf.add(tf.matMul(features, head[0]), head[1]));
    features.dispose();
    const scores = await scoreLogits(
      logits,
      Array.from(data.test, (i) => labels[i]),
      classes,
    );
    logits.dispose();
    return { ...scores, curve, lr };
  } finally {
    tf.dispose([...head, ...momentum]);
  }
}
