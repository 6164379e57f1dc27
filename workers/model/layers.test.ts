import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedOptions } from './batchnorm';
import { batchNorm, batchNormParams, ParamStore } from './layers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** BatchNorm in training mode the way TF.js differentiates it itself: moments, then batchNorm. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
}

const maxRel = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);

describe.each([
  ['the fused kernels (./batchnorm.ts)', true],
  ['the composite route (hand-written gradient)', false],
])('batchNorm in training mode, %s', (_, fused) => {
  beforeAll(() => void (fusedOptions.enabled = fused));
  afterAll(() => void (fusedOptions.enabled = true));
  const cases: [number[], boolean][] = [
    [[4, 5, 3, 6], false],
    [[7, 5], false],
    [[4, 5, 3, 6], true],
    [[7, 5], true],
  ];
  for (const [shape, relu] of cases) {
    it(`matches TF.js's own differentiation for x ${shape.join('×')}${relu ? ', then ReLU' : ''}: output, dx, dgamma, dbeta`, () => {
      const store = new ParamStore(0);
      const c = shape[shape.length - 1];
      const bn = batchNormParams(store, 'bn', c);
      bn.gamma.assign(tf.randomUniform([c], 0.5, 1.5, 'float32', 3));
      bn.beta.assign(tf.randomUniform([c], -1, 1, 'float32', 4));
      const x = tf.randomNormal(shape, 2, 3, 'float32', 5);
      const w = tf.randomNormal(shape, 0, 1, 'float32', 6); // a loss that weighs every output differently
      const loss = (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.square(f(xx, g, b)), w));
      // batchNorm reads gamma and beta from its params: route g and b through them for tf.grads.
      const ours = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        batchNorm(xx, { ...bn, gamma: g as tf.Variable, beta: b as tf.Variable }, true, relu);
      const theirs = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => (relu ? tf.relu(reference(xx, g, b)) : reference(xx, g, b));
      const got = tf.grads(loss(ours))([x, bn.gamma, bn.beta]);
      const want = tf.grads(loss(theirs))([x, bn.gamma, bn.beta]);
      expect(maxRel(ours(x, bn.gamma, bn.beta), theirs(x, bn.gamma, bn.beta))).toBeLessThan(1e-5);
      got.forEach((g, i) => expect(maxRel(g, want[i]), ['dx', 'dgamma', 'dbeta'][i]).toBeLessThan(1e-4));
      store.dispose();
    });
  }

  it('moves the running statistics as torch (momentum 0.1, unbiased variance), once per call', () => {
    const store = new ParamStore(0);
    const bn = batchNormParams(store, 'bn', 2);
    const x = tf.tensor2d([
      [1, 10],
      [3, 10],
      [5, 16],
    ]);
    tf.tidy(() => batchNorm(x, bn, true));
    expect(Array.from(bn.runningMean.dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(1.2, 6)]);
    expect(Array.from(bn.runningVar.dataSync())).toEqual([expect.closeTo(0.9 + 0.1 * 4, 6), expect.closeTo(0.9 + 0.1 * 12, 6)]);
    store.dispose();
  });
});
