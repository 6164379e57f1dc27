// The VICReg objective: Bardes, Ponce & LeCun, "VICReg", ICLR 2022, computed as
// facebookresearch/vicreg main_vicreg.py (VICReg.forward) does, plus two switchable variants:
// Adaptive Variance Targeting (varianceMode 'adaptive') and Scale-Invariant Covariance
// (covarianceMode 'sicov'). All functions take projector outputs z of shape [B, d].
// The formulas, with AVT and SICov, are specified in docs/objective.md.
import * as tf from '@tensorflow/tfjs';
import { OFFICIAL_LOSS, type LossOptions } from '../contract/config';

export type VicregOptions = LossOptions;

/** The official loss (workers/contract/config.ts DEFAULT_CONFIG, the one place defaults are written). */
export const VICREG_DEFAULTS: VicregOptions = OFFICIAL_LOSS;

/** AVT state: the EMA m of the per-dimension std, [d]; null before the first step. */
export interface AvtState {
  ema: tf.Tensor1D | null;
}

export interface VicregTerms {
  loss: tf.Scalar;
  invariance: tf.Scalar;
  variance: tf.Scalar;
  covariance: tf.Scalar;
  /** The hinge target used; a scalar tensor so that reading it never stalls the step. */
  gammaT: tf.Scalar;
  /** The updated AVT state (adaptive mode); the caller owns and disposes it. */
  state: AvtState;
}

/** Mean over all B·d entries of (z1 − z2)²: F.mse_loss(x, y). */
export function invariance(z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(z1, z2)));
}

/** Columns centred: x - x.mean(dim=0). [B, d] -> [B, d]. */
export function centre(z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sub(z, tf.mean(z, 0, true)));
}

/** std_j = sqrt(var_j + eps) with the unbiased variance (torch .var divides by B − 1). [B, d] -> [d]. */
export function columnStd(zc: tf.Tensor2D, eps: number): tf.Tensor1D {
  return tf.tidy(() => {
    const b = zc.shape[0];
    const unbiasedVar = tf.div(tf.sum(tf.square(zc), 0), b - 1);
    return tf.sqrt(tf.add(unbiasedVar, eps)) as tf.Tensor1D;
  });
}

/** mean_j relu(gamma − std_j); gamma may be a tensor (AVT). [d] -> scalar. */
export function varianceHinge(std: tf.Tensor1D, gamma: number | tf.Scalar): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.relu(tf.sub(gamma, std))));
}

/** C = Zcᵀ Zc / (B − 1). [B, d] -> [d, d]. */
export function covarianceMatrix(zc: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.matMul(zc, zc, true, false), zc.shape[0] - 1));
}

/** The diagonal of a square matrix (TF.js has no diagPart). [d, d] -> [d]. */
export function diagonal(c: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(c, tf.eye(c.shape[0])), 1) as tf.Tensor1D);
}

/** Official: off_diagonal(C).pow(2).sum() / d. [d, d] -> scalar. */
export function offDiagonalCovariance(c: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const d = c.shape[0];
    const sq = tf.square(c);
    // Sum of all squares minus the diagonal's avoids building an off-diagonal mask.
    return tf.div(tf.sub(tf.sum(sq), tf.sum(tf.square(diagonal(c)))), d);
  });
}

/**
 * SICov: d · ‖C/trace(C) − I/d‖²_F over all entries, diagonal included. Equals the official term
 * when every dimension has unit variance; unchanged when z is scaled by any c > 0. [d, d] -> scalar.
 */
export function scaleInvariantCovariance(c: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const d = c.shape[0];
    const cHat = tf.div(c, tf.sum(diagonal(c)));
    return tf.mul(tf.sum(tf.square(tf.sub(cHat, tf.mul(tf.eye(d), 1 / d)))), d);
  });
}

/** Median of a [d] vector; an even count gives the mean of the two middle values. */
export function median(x: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const d = x.shape[0];
    const sorted = tf.topk(x, d).values; // descending
    const lo = Math.floor((d - 1) / 2);
    const hi = Math.ceil((d - 1) / 2);
    return tf.mean(tf.gather(sorted, [lo, hi]));
  });
}

/**
 * AVT step: s̄ = (std1 + std2) / 2; m = s̄ at the first step, else m ← α·m + (1 − α)·s̄;
 * gammaT = clip(median(m), gammaMin, gammaMax). Returns [m; gammaT] packed as [d + 1].
 * Wrapped in customGrad with a zero gradient: the target is outside the gradient, and the ops
 * inside a custom kernel are not taped (so TopK, which has no gradient, is never differentiated).
 */
function avtUpdate(opts: VicregOptions, hasEma: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [std1, std2, prev] = args as tf.Tensor[];
    const sBar = tf.div(tf.add(std1, std2), 2) as tf.Tensor1D;
    const m = hasEma ? tf.add(tf.mul(prev, opts.emaMomentum), tf.mul(sBar, 1 - opts.emaMomentum)) : sBar;
    const gammaT = tf.clipByValue(median(m as tf.Tensor1D), opts.gammaMin, opts.gammaMax);
    return {
      value: tf.concat([m, tf.reshape(gammaT, [1])]),
      gradFunc: () => [tf.zerosLike(std1), tf.zerosLike(std2), tf.zerosLike(prev)],
    };
  });
}

function checkInputs(z1: tf.Tensor, z2: tf.Tensor): void {
  if (z1.rank !== 2 || z2.rank !== 2) {
    throw new Error(`vicregLoss expects z1, z2 of shape [B, d]; got [${z1.shape}] and [${z2.shape}]`);
  }
  if (z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) {
    throw new Error(`vicregLoss: z1 and z2 must have the same shape; got [${z1.shape}] and [${z2.shape}]`);
  }
  if (z1.shape[0] < 2) {
    throw new Error(`vicregLoss needs a batch of at least 2 (the variance divides by B − 1); got B = ${z1.shape[0]}`);
  }
}

/** Throws, with the count found, when z holds NaN or ±Infinity. Reads back: validation only. */
export function assertFinite(z: tf.Tensor, name: string): void {
  const bad = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(z)), 'int32')).dataSync()[0]);
  if (bad > 0) throw new Error(`vicregLoss: ${name} holds ${bad} NaN or Infinity value(s) of ${z.size}`);
}

/**
 * loss = simCoeff · invariance + stdCoeff · variance + covCoeff · covariance, as main_vicreg.py:
 * variance = (v1 + v2) / 2, covariance = c1 + c2 (summed), unbiased statistics throughout.
 * z1, z2: [B, d] projector outputs of the two views. Throws when B < 2, the shapes differ, or
 * (with `validate`, the default) the input is not finite. In a training step pass
 * validate = false: the finiteness check reads back, and the step checks the loss instead.
 */
export function vicregLoss(
  z1: tf.Tensor2D,
  z2: tf.Tensor2D,
  options: Partial<VicregOptions> = {},
  state: AvtState = { ema: null },
  validate = true,
): VicregTerms {
  checkInputs(z1, z2);
  if (validate) {
    assertFinite(z1, 'z1');
    assertFinite(z2, 'z2');
  }
  const o: VicregOptions = { ...VICREG_DEFAULTS, ...options };
  const d = z1.shape[1];
  let newEma: tf.Tensor1D | null = null;
  const terms = tf.tidy(() => {
    const inv = invariance(z1, z2);
    const x = centre(z1);
    const y = centre(z2);
    const stdX = columnStd(x, o.eps);
    const stdY = columnStd(y, o.eps);
    let gammaT: tf.Scalar;
    if (o.varianceMode === 'adaptive') {
      const prev = state.ema ?? tf.zeros([d]);
      const packed = avtUpdate(o, state.ema !== null)(stdX, stdY, prev);
      newEma = tf.keep(tf.slice(packed, [0], [d]) as tf.Tensor1D);
      gammaT = tf.reshape(tf.slice(packed, [d], [1]), []) as tf.Scalar;
    } else {
      gammaT = tf.scalar(o.gamma);
    }
    const variance = tf.add(tf.div(varianceHinge(stdX, gammaT), 2), tf.div(varianceHinge(stdY, gammaT), 2)) as tf.Scalar;
    const covTerm = o.covarianceMode === 'sicov' ? scaleInvariantCovariance : offDiagonalCovariance;
    const covariance = tf.add(covTerm(covarianceMatrix(x)), covTerm(covarianceMatrix(y))) as tf.Scalar;
    const loss = tf.addN([tf.mul(inv, o.simCoeff), tf.mul(variance, o.stdCoeff), tf.mul(covariance, o.covCoeff)]) as tf.Scalar;
    return { loss, invariance: inv, variance, covariance, gammaT };
  });
  return { ...terms, state: { ema: newEma } };
}
