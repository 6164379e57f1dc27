// The two baselines that answer "was self-supervised pretraining worth it?": the backbone with a
// linear head, trained end to end with cross-entropy on the training split, one augmented view per
// image (baselineView), SGD with momentum 0.9:
//   fine-tune   from the run's weights and their linear probe (LP-FT, Kumar et al. 2022: the head
//               starts trained, on the probe's readout and standardization), the backbone at a
//               tenth of the head's learning rate (facebookresearch/vicreg evaluate.py --weights
//               finetune with --lr-backbone), BatchNorm in training mode as evaluate.py's
//               model.train() has it;
//   supervised  from a random init, backbone and head at the same rate (the supervised reference
//               that JAX/Flax and PyTorch VICReg notebooks put beside the linear probe).
// The rate warms up linearly over the first steps, then decays by a cosine. Its length is a number
// of epochs, or a wall-clock budget (the run's own training time: a comparison at equal cost),
// turned into epochs from the step time measured over the first steps, as the VICReg run's budget
// is (workers/train/budget.ts).
// Then the test split, in inference mode: top-1, top-5, per-class accuracy and the confusion.
import * as tf from '@tensorflow/tfjs';
import type { FeatPool, TrainConfig } from '../contract/config';
import { type AugmentOptions, augmentView, viewOptions } from '../dataset/augment';
import { uploadBatch } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import type { VicregModel } from '../model/model';
import { isBiasOrNorm } from '../optim/optimizers';
import { embed } from './features';
import type { EvalJob } from './job';
import type { ProbeHead } from './probe';
import type { EvalWeights } from './session';
import { gridPool, gridSide } from './readout';
import { scoreLogits } from './probe';
import { nextTask } from '../train/next-task';

export type BaselineKind = 'finetune' | 'supervised';

/** Learning rates per group. Fine-tune: 0.1 · batch / 256 for the head (evaluate.py's lr-head
 *  scale), the backbone at a tenth of it. Supervised from scratch: 0.4 · batch / 256 for both, the
 *  best of bench/supervised.ts's sweep (docs/recipes.md, "The supervised reference"). */
export function baselineLearningRates(kind: BaselineKind, batchSize: number): { head: number; backbone: number } {
  if (kind === 'supervised') return { head: (0.4 * batchSize) / 256, backbone: (0.4 * batchSize) / 256 };
  const head = (0.1 * batchSize) / 256;
  return { head, backbone: head / 10 };
}

export const BASELINE_WEIGHT_DECAY = 5e-4;

/** Steps of linear warmup (an epoch where the split is smaller): a fixed count, so the first steps,
 *  which time a budgeted run, need not know its length. */
export const BASELINE_WARMUP_STEPS = 10;
/** Steps timed before a budgeted run fixes its epochs (the first included: a conservative estimate). */
export const CALIBRATION_STEPS = 4;
export const MAX_BASELINE_EPOCHS = 1000;

/**
 * The augmentation a baseline trains with: 'view' is VICReg's view 1 (the run's own settings);
 * 'light' is what supervised training of small images usually takes (a mild random resized crop,
 * scale 0.7–1, and a horizontal flip; no colour, blur or solarization), as the PyTorch lab's
 * supervised.py (a ±3 px translation and a flip).
 */
export type BaselineAugment = 'view' | 'light';
export function baselineView(augment: BaselineAugment, config: TrainConfig, data: { grayscale: boolean }): AugmentOptions {
  const view = viewOptions(config, 1, data);
  if (augment === 'view') return view;
  return { ...view, cropScaleMin: 0.7, cropScaleMax: 1, jitterProb: 0, grayscaleProb: 0, blurProb: 0, solarizeProb: 0 };
}

/** LP-FT (Kumar et al., ICLR 2022, "Fine-Tuning can Distort Pretrained Features"): fine-tuning
 *  starts from the trained linear probe, on the readout it was fit on (the k × k grid of the last
 *  map where that is the setting), so the first steps do not wreck the features with a random head. */
export interface ProbeStart {
  head: ProbeHead;
  pool: FeatPool;
}

/** How long a baseline trains: whole epochs, or as many as fit in `budgetMs` of training; `basis`
 *  says what it was made equal to, in words ("the run's training time"). */
export type BaselineLength = ({ epochs: number } | { budgetMs: number }) & { basis?: string };

/** How long a baseline trains: baselineEpochs, or with 0 as long as the weights trained
 *  (`trainedMs`; else the budget field, else the run's epochs where neither is known, e.g. a
 *  checkpoint from before the time was kept). */
export function baselineLength(
  trainedMs: number | undefined,
  runEpochs: number,
  config: Pick<TrainConfig, 'baselineEpochs' | 'budgetMinutes'>,
): BaselineLength {
  if (config.baselineEpochs > 0) return { epochs: config.baselineEpochs, basis: 'baselineEpochs' };
  if (trainedMs && trainedMs > 0) return { budgetMs: Math.round(trainedMs), basis: "the run's training time" };
  if (config.budgetMinutes > 0) return { budgetMs: config.budgetMinutes * 60_000, basis: 'the time budget field' };
  return { epochs: runEpochs, basis: "the run's epochs (its training time was not recorded)" };
}

/** Epochs of `stepsPerEpoch` steps at `msPerStep` that fit in `budgetMs`: at least 1. */
export function epochsForTime(budgetMs: number, msPerStep: number, stepsPerEpoch: number): number {
  return Math.max(1, Math.min(MAX_BASELINE_EPOCHS, Math.floor(budgetMs / (msPerStep * stepsPerEpoch))));
}

/** The rate's multiplier at `step` of `total`: linear warmup over `warmup` steps, then cosine to 0. */
export function baselineRate(step: number, total: number, warmup: number): number {
  if (step < warmup) return (step + 1) / warmup;
  return 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, total - warmup)));
}

export interface BaselineResult {
  top1: number;
  top5: number | null;
  perClass: number[];
  confusion: number[][];
  correct: Uint8Array; // [test images] 1 where the top-1 class is right
  curve: { epoch: number; loss: number }[]; // mean training loss per epoch
  lr: { head: number; backbone: number };
  /** What it cost: epochs and steps trained, training seconds (the test split's scoring left out),
   *  and for a budgeted run the budget and the step time measured for it. */
  cost: { epochs: number; steps: number; seconds: number; budgetSeconds?: number; msPerStep?: number; basis?: string };
}

/**
 * The probe's standardization folded into its weights: ((x − mean) / std) W + b = x W' + b' with
 * W'[j] = W[j] / std[j] and b' = b − Σ_j (mean[j] / std[j]) W[j], the same logits at the start.
 * Why: fine-tuned in the standardized space, a feature the probe saw as constant (std at its floor,
 * 1e-3) scales its own gradient and its effect on the logits by 1/std each once the backbone wakes
 * it, an effective step 10^6 times the others'; on the sample one seed's LP-FT fell 11.5 points
 * below its probe that way (docs/recipes.md §7). In the raw space, as Kumar et al.'s logistic
 * regression head is, such a feature starts at W' = 0 and learns at the head's rate.
 * head.w [D, C] row-major, mean and std [D], b [C] -> w [D, C], b [C].
 */
export function foldStandardization(head: ProbeHead): { w: Float32Array; b: Float32Array } {
  const D = head.mean.length;
  const C = head.b.length;
  const w = new Float32Array(D * C);
  const b = Float64Array.from(head.b);
  for (let j = 0; j < D; j++) {
    const s = head.std[j];
    for (let k = 0; k < C; k++) {
      w[j * C + k] = head.w[j * C + k] / s;
      b[k] -= (head.mean[j] / s) * head.w[j * C + k];
    }
  }
  return { w, b: Float32Array.from(b) };
}

/** What a baseline reads of its evaluation (EvalJob): the split, both configs and cancel. */
export type BaselineJob = Pick<EvalJob, 'data' | 'config' | 'cancelled'> & { weights: Pick<EvalWeights, 'config'> };

/** One baseline's training: `model` is trained in place (a copy of the weights, or a fresh init). */
export interface BaselineRun {
  kind: BaselineKind;
  model: VicregModel;
  length: BaselineLength;
  /** After each epoch, with its mean loss and the epochs planned (known once a budget is timed). */
  onEpoch?: (epoch: number, loss: number, epochs: number) => void;
  /** bench/supervised.ts's sweep; the defaults otherwise. */
  recipe?: { lrHead?: number; weightDecay?: number; augment?: BaselineAugment };
  /** LP-FT: start from this linear probe, on its readout. */
  probe?: ProbeStart;
}

/**
 * Trains `run.model`'s backbone (it is changed: pass a copy) with a linear head (fresh, or the
 * probe's with `run.probe`) for `run.length`, then scores the test split. No readback inside an
 * epoch but the one that ends it, and, for a budget, the one that times the first steps.
 */
export async function trainBaseline(job: BaselineJob, run: BaselineRun): Promise<BaselineResult> {
  const { data, cancelled } = job;
  const { kind, model, length, recipe = {}, probe } = run;
  // The weights' config for what must match them, the page's for the seed and the augmentation choice (EvalJob).
  const settings: TrainConfig = { ...job.weights.config, seed: job.config.seed, baselineAugment: job.config.baselineAugment };
  const classes = data.summary.classes.length;
  const labels = data.labels;
  const bs = Math.min(settings.batchSize, data.train.length);
  const stepsPerEpoch = Math.floor(data.train.length / bs);
  const warmup = Math.min(BASELINE_WARMUP_STEPS, stepsPerEpoch);
  const budgetMs = 'budgetMs' in length ? length.budgetMs : null;
  let epochs = 'epochs' in length ? length.epochs : MAX_BASELINE_EPOCHS; // a budget's, until timed
  let msPerStep: number | undefined;
  const t0 = performance.now();
  const rule = baselineLearningRates(kind, bs);
  const lr = recipe.lrHead === undefined ? rule : { head: recipe.lrHead, backbone: (recipe.lrHead * rule.backbone) / rule.head };
  const weightDecay = recipe.weightDecay ?? BASELINE_WEIGHT_DECAY;
  const rand = mulberry32(settings.seed ^ (kind === 'finetune' ? 0x51f7 : 0x5c9a));
  const view = baselineView(recipe.augment ?? settings.baselineAugment, settings, data.summary);
  const inBatch = Int32Array.from({ length: bs }, (_, k) => k);
  const d = model.backbone.featureDim;
  // The head: the probe's (LP-FT), or torch nn.Linear's default init, U(±1/sqrt(d)), on the pool.
  const pool: FeatPool = probe?.pool ?? 'global';
  const folded = probe ? foldStandardization(probe.head) : null;
  const head = tf.tidy(() =>
    folded
      ? [tf.variable(tf.tensor2d(folded.w, [probe!.head.mean.length, classes])), tf.variable(tf.tensor1d(folded.b))]
      : [
          tf.variable(tf.randomUniform([d, classes], -1 / Math.sqrt(d), 1 / Math.sqrt(d), 'float32', settings.seed)),
          tf.variable(tf.zeros([classes])),
        ],
  );
  /** Backbone features [B, D] under `pool` in training mode (inside the step's tidy). */
  const features = (x: tf.Tensor4D): tf.Tensor2D =>
    pool === 'global' ? model.backbone.forward(x, true) : gridPool(model.backbone.map(x, true), gridSide(pool));
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
        if (budgetMs !== null && msPerStep === undefined && step === Math.min(CALIBRATION_STEPS, stepsPerEpoch)) {
          await lossSum.data(); // the steps so far have run
          msPerStep = (performance.now() - t0) / step;
          epochs = epochsForTime(budgetMs, msPerStep, stepsPerEpoch);
        }
        const q = baselineRate(step, stepsPerEpoch * epochs, warmup);
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
            () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(features(x), head[0]), head[1])) as tf.Scalar,
            vars,
          );
          vars.forEach((v, i) => {
            const g = isBiasOrNorm(v) ? grads[v.name] : tf.add(grads[v.name], tf.mul(v, weightDecay));
            momentum[i].assign(tf.add(tf.mul(momentum[i], 0.9), g));
            v.assign(tf.sub(v, tf.mul(momentum[i], q * (i < backbone.length ? lr.backbone : lr.head))));
          });
          return tf.add(lossSum, value) as tf.Scalar;
        });
        lossSum.dispose();
        lossSum = next;
        // A step of a big model can take seconds: let Cancel and the liveness ping in after each
        // (awaiting data() alone never yields on WASM, where it resolves in a microtask).
        await nextTask();
      }
      const loss = (await lossSum.data())[0] / stepsPerEpoch;
      lossSum.dispose();
      if (budgetMs !== null && msPerStep === undefined) {
        // An epoch shorter than the timed steps: time it whole.
        msPerStep = (performance.now() - t0) / step;
        epochs = epochsForTime(budgetMs, msPerStep, stepsPerEpoch);
      }
      curve.push({ epoch: epoch + 1, loss });
      run.onEpoch?.(epoch + 1, loss, epochs);
    }
    const seconds = (performance.now() - t0) / 1000;
    // The test split through the trained backbone (inference mode) and head.
    const test = await embed(model, data, data.test, settings.imageSize, 'pool', undefined, pool);
    const logits = tf.tidy(() => tf.add(tf.matMul(test, head[0]), head[1]));
    test.dispose();
    const scores = await scoreLogits(
      logits,
      Array.from(data.test, (i) => labels[i]),
      classes,
    );
    logits.dispose();
    const cost = {
      epochs,
      steps: step,
      seconds,
      ...(budgetMs === null ? {} : { budgetSeconds: budgetMs / 1000, msPerStep }),
      ...(length.basis ? { basis: length.basis } : {}),
    };
    return { ...scores, curve, lr, cost };
  } finally {
    tf.dispose([...head, ...momentum]);
  }
}
