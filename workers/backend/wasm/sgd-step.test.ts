// SGD's step on wasm (sgd-step.ts: the native kernel, or the JavaScript loop without it) against
// the CPU backend's, which gives the composite route's bits: equal, not merely close.
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { SGD_STEP } from '../../optim/sgd-step';
import { describeEachBuild, randomValues, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

describeEachBuild('the SGD step on wasm', () => {
  for (const weightDecay of [5e-4, 0]) {
    it(`gives the CPU backend's bits (weight decay ${weightDecay}, a length that is no multiple of 4)`, async () => {
      const shape = [37, 19];
      const [p, m, g] = [1, 2, 3].map((seed) => randomValues(37 * 19, seed));
      const step = async (backend: string) => {
        await tf.setBackend(backend);
        const out = tf
          .engine()
          .runKernel(
            SGD_STEP,
            { p: tf.tensor(p, shape), m: tf.tensor(m, shape), g: tf.tensor(g, shape) },
            { lr: 0.05, momentum: 0.9, weightDecay },
          ) as tf.Tensor[];
        const values = await Promise.all(out.map((t) => t.data()));
        tf.dispose(out);
        return values.map((v) => Array.from(v));
      };
      expect(await step('wasm')).toEqual(await step('cpu'));
      await tf.setBackend('wasm');
    });
  }
});
