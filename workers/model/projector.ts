// The projector of main_vicreg.py (Projector): for "f0-f1-...-fn", Linear-BN-ReLU for each hidden
// size and a final Linear without bias.
import type * as tf from '@tensorflow/tfjs';
import { batchNorm, batchNormParams, dense, denseParams, type BatchNorm, type Dense, type ParamStore } from './layers';

export function parseSpec(spec: string): number[] {
  const sizes = spec.split('-').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`projector spec "${spec}" must be positive integers joined by "-", e.g. "2048-2048-2048"`);
  }
  return sizes;
}

export interface Projector {
  outDim: number;
  forward(y: tf.Tensor2D, training: boolean): tf.Tensor2D; // [B, featureDim] -> [B, outDim]
}

export function projector(store: ParamStore, featureDim: number, spec: string): Projector {
  const f = [featureDim, ...parseSpec(spec)];
  const hidden: { fc: Dense; bn: BatchNorm }[] = [];
  for (let i = 0; i < f.length - 2; i++) {
    hidden.push({
      fc: denseParams(store, `projector.${3 * i}`, f[i], f[i + 1], true),
      bn: batchNormParams(store, `projector.${3 * i + 1}`, f[i + 1]),
    });
  }
  const last = denseParams(store, `projector.${3 * hidden.length}`, f[f.length - 2], f[f.length - 1], false);
  return {
    outDim: f[f.length - 1],
    forward(y, training) {
      let h = y;
      for (const l of hidden) h = batchNorm(dense(h, l.fc), l.bn, training, true) as tf.Tensor2D;
      return dense(h, last);
    },
  };
}
