// Shared checks for the backbone tests (not a test file itself): output shapes and a forward and
// backward step with a finite gradient for every trainable variable.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { TrainConfig } from '../contract/config';
import type { Encoder } from './encoder';
import { ParamStore } from './layers';
import { lcgValues } from '../dataset/random';

/** Uniform(−1, 1) images [b, side, side, 3] from a fixed LCG, so every run sees the same data. */
export function images(b: number, side: number, seed = 1): tf.Tensor4D {
  return tf.tensor4d(lcgValues(b * side * side * 3, seed), [b, side, side, 3]);
}

/** The parameter names `build` creates, in creation order (the checkpoint's); each name must be new. */
export function paramNames(build: (store: ParamStore) => void): string[] {
  const store = new ParamStore(0);
  build(store);
  const names = store.params.map((p) => p.name);
  store.dispose();
  expect(new Set(names).size, 'every name once').toBe(names.length);
  return names;
}

export const trainableCount = (store: ParamStore) => store.params.filter((p) => p.trainable).reduce((n, p) => n + p.variable.size, 0);

/** One backward pass of mean(features²) in training mode: every trainable variable gets a finite gradient. */
export async function expectFiniteGradients(store: ParamStore, encoder: Encoder, x: tf.Tensor4D): Promise<void> {
  const vars = store.trainable();
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(encoder.forward(x, true))) as tf.Scalar, vars);
  expect(Number.isFinite((await value.data())[0])).toBe(true);
  for (const p of store.params.filter((q) => q.trainable)) {
    const g = grads[p.variable.name];
    expect(g, `gradient of ${p.name}`).toBeDefined();
    expect(g.shape, p.name).toEqual(p.variable.shape);
    const finite = (await tf.all(tf.isFinite(g)).data())[0];
    expect(finite, `finite gradient of ${p.name}`).toBe(1);
  }
  tf.dispose([value, ...Object.values(grads)]);
}

/** Each backbone at a size that trains a step in a second on WASM, for tests that run them all. */
export const TINY: Record<TrainConfig['backbone'], Partial<TrainConfig>> = {
  'small-cnn': { width: 2 },
  resnet18: { widthMult: 0.0625, stem: 'cifar' },
  resnet34: { widthMult: 0.0625, stem: 'imagenet' },
  resnet50: { widthMult: 0.0625, stem: 'cifar' },
  resnet50v2: { widthMult: 0.0625, stem: 'imagenet', imageSize: 32 },
  // Batch 8: at batch 4 its last BatchNorms (1×1 maps, 4 values a channel) overflowed a gradient.
  mobilenetv2: { widthMult: 0.125, batchSize: 8 },
  'vit-tiny': { widthMult: 0.25, patchSize: 8, vitDepth: 2 },
  'vit-small': { widthMult: 0.125, patchSize: 8, vitDepth: 2 },
};
