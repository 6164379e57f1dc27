// Conv2DBackpropFilter (conv2d-backprop-filter.ts) against the CPU backend's, on every conv
// geometry of test-kit.ts, with its memory budgets lowered so that each case also runs split.
import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { BUDGETS } from './conv2d-backprop-filter';
import {
  type Case,
  CASES,
  describeEachBuild,
  dyShapeOf,
  expectKernelSameOnBoth,
  label,
  randomValues,
  sizeOf,
  setUpWasmKernels,
} from './test-kit';

setUpWasmKernels();

/** Case n's filter gradient on wasm against cpu, on seeded data. */
async function expectFilterGradient(c: Case, n: number): Promise<void> {
  const dyShape = dyShapeOf(c, false);
  const x = randomValues(sizeOf(c.x), 2 * n + 1);
  const dy = randomValues(sizeOf(dyShape), 2 * n + 2);
  const attrs = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    filterShape: [...c.k, c.x[3], c.out],
  };
  await expectKernelSameOnBoth('Conv2DBackpropFilter', () => ({ x: tf.tensor(x, c.x), dy: tf.tensor(dy, dyShape) }), attrs);
}

describeEachBuild('Conv2DBackpropFilter on wasm matches cpu', () => {
  CASES.forEach((c, n) => it(label(c), () => expectFilterGradient(c, n)));

  it('sums batch chunks and stacks im2col blocks exactly as one block (budgets lowered to split every case)', async () => {
    const saved = { ...BUDGETS };
    try {
      for (const split of [
        { chunk: 1, im2col: 1 },
        { chunk: 300, im2col: 200 },
      ]) {
        Object.assign(BUDGETS, split);
        for (const [n, c] of CASES.entries()) await expectFilterGradient(c, n);
      }
    } finally {
      Object.assign(BUDGETS, saved);
    }
  });

  it('takes NCHW as the cpu kernel does', async () => {
    const [B, C, H, W] = [2, 3, 9, 7];
    const x = randomValues(B * C * H * W, 91);
    const dy = randomValues(B * 4 * 5 * 4, 92);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, C, 4] };
    await expectKernelSameOnBoth('Conv2DBackpropFilter', () => ({ x: tf.tensor(x, [B, C, H, W]), dy: tf.tensor(dy, [B, 4, 5, 4]) }), attrs);
  });
});
