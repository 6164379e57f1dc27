// One VICReg training step: two views through backbone and projector, the loss, gradients and
// the optimizer update. Returns the step's metrics packed on device; nothing is read back here.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import type { VicregModel } from '../model/model';
import { clipByGlobalNorm, type Optimizer } from '../optim/optimizers';
import { rampedCoeff } from '../optim/schedule';
import { vicregLoss, type AvtState } from '../vicreg/loss';

/** The packed metrics row: [loss, invariance, variance, covariance, gammaT]. */
export const PACKED = ['loss', 'invariance', 'variance', 'covariance', 'gammaT'] as const;

export interface StepContext {
  model: VicregModel;
  optimizer: Optimizer;
  config: TrainConfig;
  avt: AvtState; // replaced every step in adaptive mode
}

export function trainStep(ctx: StepContext, x1: tf.Tensor4D, x2: tf.Tensor4D, step: number, lr: number): tf.Tensor1D {
  const { model, optimizer, config: c } = ctx;
  const vars = model.store.trainable();
  const options = {
    ...c,
    simCoeff: rampedCoeff(c.simCoeff, step, c.rampSteps, c.rampStart),
    covCoeff: rampedCoeff(c.covCoeff, step, c.rampSteps, c.rampStart),
  };
  let packed: tf.Tensor1D | null = null;
  let nextEma: tf.Tensor1D | null = null;
  const { grads } = tf.variableGrads(() => {
    const z1 = model.forward(x1, true).embedding;
    const z2 = model.forward(x2, true).embedding;
    const t = vicregLoss(z1, z2, options, ctx.avt, false);
    packed = tf.keep(tf.stack([t.loss, t.invariance, t.variance, t.covariance, t.gammaT]) as tf.Tensor1D);
    nextEma = t.state.ema;
    return t.loss;
  }, vars);
  const list = vars.map((v) => grads[v.name]);
  const clipped = c.gradClip > 0 ? clipByGlobalNorm(list, c.gradClip) : list;
  optimizer.apply(vars, clipped, lr);
  tf.dispose(grads);
  if (clipped !== list) tf.dispose(clipped);
  if (nextEma) {
    ctx.avt.ema?.dispose();
    ctx.avt = { ema: nextEma };
  }
  return packed!;
}
