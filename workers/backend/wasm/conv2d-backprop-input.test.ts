// Conv2DBackpropInput (conv2d-backprop-input.ts) against the CPU backend's, on every conv geometry
// of test-kit.ts, and its phase geometry (inputGradAxis) against the convolution's definition.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { inputGradAxis } from './conv2d-backprop-input';
import { CASES, describeEachBuild, dyShapeOf, expectKernelSameOnBoth, label, randomValues, sizeOf, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

describeEachBuild('Conv2DBackpropInput (replacing the slow WASM one) on wasm matches cpu', () => {
  CASES.forEach((c, n) => {
    it(label(c), async () => {
      const dyShape = dyShapeOf(c, false);
      const filterShape = [...c.k, c.x[3], c.out];
      const dy = randomValues(sizeOf(dyShape), 2 * n + 51);
      const w = randomValues(sizeOf(filterShape), 2 * n + 52);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, inputShape: c.x };
      await expectKernelSameOnBoth('Conv2DBackpropInput', () => ({ dy: tf.tensor(dy, dyShape), filter: tf.tensor(w, filterShape) }), attrs);
    });
  });

  it('takes NCHW as the cpu kernel does', async () => {
    const [B, C, H, W] = [2, 3, 9, 7];
    const dy = randomValues(B * 4 * 5 * 4, 93);
    const w = randomValues(9 * C * 4, 94);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [B, C, H, W] };
    await expectKernelSameOnBoth(
      'Conv2DBackpropInput',
      () => ({ dy: tf.tensor(dy, [B, 4, 5, 4]), filter: tf.tensor(w, [3, 3, C, 4]) }),
      attrs,
    );
  });
});

describe('inputGradAxis', () => {
  it('pairs every dx row with exactly the (tap, dy row) pairs of the convolution, for many geometries', () => {
    for (const s of [1, 2, 3]) {
      for (const k of [1, 2, 3, 5, 7]) {
        for (const n of [5, 8, 13]) {
          for (const t of [0, 1, Math.floor((k - 1) / 2), k - 1]) {
            const nOut = Math.floor((n + t + (k - 1 - t) - k) / s) + 1; // padding t before, k − 1 − t after
            if (nOut < 1) continue;
            const { m0, count, phases } = inputGradAxis(s, k, t, n, nOut);
            for (let h = 0; h < n; h++) {
              // Direct: tap i of dy row y lands on padded row y·s + i = h + t.
              const want = [];
              for (let y = 0; y < nOut; y++) for (let i = 0; i < k; i++) if (y * s + i === h + t) want.push(`${i}@${y}`);
              // As the phase convolutions compute it: output row o of phase r reads dy row o − before + u
              // with kernel row u holding tap (taps − 1 − u)·s + r.
              const r = (h + t) % s;
              const o = Math.floor((h + t) / s) - m0;
              expect(o).toBeGreaterThanOrEqual(0);
              expect(o).toBeLessThan(count);
              const { taps, before } = phases[r];
              const got = [];
              for (let u = 0; u < taps; u++) {
                const y = o - before + u;
                if (y >= 0 && y < nOut) got.push(`${(taps - 1 - u) * s + r}@${y}`);
              }
              expect(got.sort(), `s ${s} k ${k} n ${n} t ${t} h ${h}`).toEqual(want.sort());
            }
            // The conv's output has `count` rows: dy's rows plus the padding, less the kernel.
            for (const p of phases) if (p.taps > 0) expect(nOut + p.before + p.after - p.taps + 1).toBe(count);
          }
        }
      }
    }
  });
});
