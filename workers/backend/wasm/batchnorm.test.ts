// BatchNorm + ReLU in training mode (batchnorm.ts, the native kernels) against the CPU backend's
// kernels of the same name (workers/model/batchnorm.ts, float64 sums), forward and backward, with
// and without ReLU, on every build of the native kernels (and the JavaScript route without them).
import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { BN_RUNNING, BN_TRAIN, BN_TRAIN_GRAD } from '../../model/batchnorm';
import { describeEachBuild, expectSameOnBoth, randomValues, setUpWasmKernels, sizeOf } from './test-kit';

setUpWasmKernels();

// The small CNN's activations (channels 16 and 128, a multiple of 4) and the projector's, a channel
// count with a scalar tail (6), and a channel whose mean is far from 0 (the two-pass variance).
const SHAPES = [
  [8, 16, 16, 16],
  [8, 4, 4, 128],
  [32, 256],
  [5, 7, 3, 6],
  [300, 3],
];

describeEachBuild('BatchNorm + ReLU, training mode, on wasm matches cpu', () => {
  SHAPES.forEach((shape, n) => {
    for (const relu of [false, true]) {
      const C = shape[shape.length - 1];
      const x = randomValues(sizeOf(shape), 3 * n + 1).map((v, i) => 3 * v + (i % C === 0 ? 50 : 0));
      const gamma = randomValues(C, 3 * n + 2).map((v) => 1 + 0.5 * v);
      const beta = randomValues(C, 3 * n + 3);
      const dy = randomValues(sizeOf(shape), 3 * n + 4);
      const forward = () =>
        tf
          .engine()
          .runKernel(
            BN_TRAIN,
            { x: tf.tensor(x, shape), gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta) },
            { eps: 1e-5, relu },
          ) as tf.Tensor[];
      it(`forward, x ${shape.join('×')}${relu ? ', ReLU' : ''}: y, and mean, variance, invStd`, async () => {
        for (let k = 0; k < 2; k++) await expectSameOnBoth('BatchNormTrain', () => forward()[k]);
      });
      it(`backward, x ${shape.join('×')}${relu ? ', ReLU' : ''}: dx, dGamma, dBeta`, async () => {
        const backward = (k: number) => () => {
          const [y, stats] = forward();
          const outs = tf
            .engine()
            .runKernel(
              BN_TRAIN_GRAD,
              { dy: tf.tensor(dy, shape), x: tf.tensor(x, shape), y, stats, gamma: tf.tensor1d(gamma) },
              { relu },
            ) as tf.Tensor[];
          return outs[k];
        };
        for (let k = 0; k < 3; k++) await expectSameOnBoth('BatchNormTrainGrad', backward(k));
      });
      it(`running statistics, x ${shape.join('×')}${relu ? ', ReLU' : ''}: mean, unbiased variance`, async () => {
        const n = sizeOf(shape) / C;
        for (const row of [0, 1] as const) {
          await expectSameOnBoth('BatchNormRunning', () => {
            const stats = forward()[1];
            const attrs = { row, momentum: 0.1, n };
            return tf.engine().runKernel(BN_RUNNING, { running: tf.tensor1d(beta.map((v) => v + 2)), stats }, attrs) as tf.Tensor;
          });
        }
      });
    }
  });
});
