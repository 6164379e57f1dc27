// Conv2D (conv2d.ts, the native direct convolution) against the CPU backend's, on every conv
// geometry of test-kit.ts and the small CNN's own layers, on each build of the native kernels.
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { CASES, describeEachBuild, expectSameOnBoth, label, randomValues, relativeError, setUpWasmKernels, sizeOf } from './test-kit';
import { nativeOptions } from './native/module';

setUpWasmKernels();

const conv = (x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], strides: number | [number, number], pad: unknown) =>
  tf.conv2d(
    tf.tensor4d(x, xShape as [number, number, number, number]),
    tf.tensor4d(w, wShape as [number, number, number, number]),
    strides,
    pad as 'same',
  );

/** The small CNN's four layers (workers/model/encoder.ts) at batch 6: 3→16 at 32 px, then stride 2. */
const SMALL_CNN = [
  { x: [6, 32, 32, 3], co: 16, s: 1 },
  { x: [6, 32, 32, 16], co: 32, s: 2 },
  { x: [6, 16, 16, 32], co: 64, s: 2 },
  { x: [6, 8, 8, 64], co: 128, s: 2 },
];

describeEachBuild('Conv2D on wasm matches cpu', () => {
  CASES.forEach((c, n) => {
    it(label(c), async () => {
      const wShape = [...c.k, c.x[3], c.out];
      const x = randomValues(sizeOf(c.x), 2 * n + 71);
      const w = randomValues(sizeOf(wShape), 2 * n + 72);
      await expectSameOnBoth('Conv2D', () => conv(x, c.x, w, wShape, c.strides, c.pad));
    });
  });
  SMALL_CNN.forEach((l, n) => {
    it(`the small CNN's layer ${n + 1}: x ${l.x.join('×')}, ${l.co} out, stride ${l.s}`, async () => {
      const wShape = [3, 3, l.x[3], l.co];
      const x = randomValues(sizeOf(l.x), n + 81);
      const w = randomValues(sizeOf(wShape), n + 91);
      await expectSameOnBoth('Conv2D', () => conv(x, l.x, w, wShape, l.s, 'same'));
    });
  });
});

it('gives the same numbers with relaxed SIMD (fused multiply-add) as with plain SIMD, to float32 rounding', async () => {
  await tf.setBackend('wasm');
  const outputs: Float32Array[] = [];
  for (const simd of ['auto', 'plain'] as const) {
    nativeOptions.simd = simd;
    const values: number[] = [];
    for (const [n, l] of SMALL_CNN.entries()) {
      const wShape = [3, 3, l.x[3], l.co];
      const y = tf.tidy(() => conv(randomValues(sizeOf(l.x), n + 81), l.x, randomValues(sizeOf(wShape), n + 91), wShape, l.s, 'same'));
      values.push(...(await y.data()));
      y.dispose();
    }
    outputs.push(Float32Array.from(values));
  }
  nativeOptions.simd = 'auto';
  expect(relativeError(outputs[0], outputs[1])).toBeLessThan(1e-6);
});
