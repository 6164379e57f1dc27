// One VICReg training step: two views through backbone and projector, the loss, gradients and
// the optimizer update. Returns the step's metrics packed on device; nothing is read back here.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import type { VicregModel } from '../model/model';
import { clipByGlobalNorm, type Optimizer } from '../optim/optimizers';
import { rampedCoeff } from '../optim/schedule';
import { packDiagnostics } from '../vicreg/diagnostics';
import { vicregLoss, type AvtState } from '../vicreg/loss';
import { recomputedGrads } from './recompute';

/** The packed metrics row: [loss, invariance, variance, covariance, gammaT]. */
export const PACKED = ['loss', 'invariance', 'variance', 'covariance', 'gammaT'] as const;

export interface StepContext {
  model: VicregModel;
  optimizer: Optimizer;
  config: TrainConfig;
  avt: AvtState; // replaced every step in adaptive mode
  /** Recompute each backbone segment in the backward pass (recompute.ts); same results, less memory. */
  recompute?: boolean;
}

export interface StepOutput {
  /** PACKED metrics, [5]. */
  row: tf.Tensor1D;
  /** With `diagnose`: packDiagnostics of view 1's projector output and backbone features. */
  diagnostics: { projector: tf.Tensor1D; backbone: tf.Tensor1D } | null;
}

/** `diagnose` adds collapse diagnostics, taken from this step's own forward pass (no extra pass). */
export function trainStep(ctx: StepContext, x1: tf.Tensor4D, x2: tf.Tensor4D, step: number, lr: number, diagnose = false): StepOutput {
  const { model, optimizer, config: c } = ctx;
  const vars = model.store.trainable();
  const options = {
    ...c,
    simCoeff: rampedCoeff(c.simCoeff, step, c.rampSteps, c.rampStart),
    covCoeff: rampedCoeff(c.covCoeff, step, c.rampSteps, c.rampStart),
  };
  let packed: tf.Tensor1D | null = null;
  let nextEma: tf.Tensor1D | null = null;
  const view1: { features: tf.Tensor2D; embedding: tf.Tensor2D }[] = [];
  // The projector and the loss over both views' backbone features [B, featureDim].
  const loss = ([f1, f2]: tf.Tensor[]) => {
    const z1 = model.projector.forward(f1 as tf.Tensor2D, true);
    if (diagnose) view1.push({ features: tf.keep(f1.clone() as tf.Tensor2D), embedding: tf.keep(z1) });
    const z2 = model.projector.forward(f2 as tf.Tensor2D, true);
    const t = vicregLoss(z1, z2, options, ctx.avt, false);
    packed = tf.keep(tf.stack([t.loss, t.invariance, t.variance, t.covariance, t.gammaT]) as tf.Tensor1D);
    nextEma = t.state.ema;
    return t.loss;
  };
  const grads = ctx.recompute
    ? recomputedGrads(model.backbone.segments, [x1, x2], vars, loss)
    : tf.variableGrads(() => loss([model.backbone.forward(x1, true), model.backbone.forward(x2, true)]), vars).grads;
  const list = vars.map((v) => grads[v.name]);
  const clipped = c.gradClip > 0 ? clipByGlobalNorm(list, c.gradClip) : list;
  optimizer.apply(vars, clipped, lr);
  tf.dispose(grads);
  if (clipped !== list) tf.dispose(clipped);
  if (nextEma) {
    ctx.avt.ema?.dispose();
    ctx.avt = { ema: nextEma };
  }
  let diagnostics: StepOutput['diagnostics'] = null;
  if (view1.length) {
    const { features, embedding } = view1[0];
    diagnostics = { projector: packDiagnostics(embedding), backbone: packDiagnostics(features) };
    tf.dispose([features, embedding]);
  }
  return { row: packed!, diagnostics };
}
