// BatchMatMul and _FusedMatMul (batch-mat-mul.ts) against the CPU backend's, with every
// combination of transposes, batched and broadcast, at the projector's sizes and past the native
// kernel's limit, on each build of the native kernels.
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { NATIVE_MAX_VALUES } from './batch-mat-mul';
import { describeEachBuild, expectSameOnBoth, randomValues, setUpWasmKernels, sizeOf } from './test-kit';

setUpWasmKernels();

const products: [number[], number[], boolean, boolean][] = [
  [[7, 5], [5, 3], false, false],
  [[5, 7], [5, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[1, 5, 7], [1, 3, 5], true, true],
  [[2, 5, 7], [2, 5, 3], true, false], // batched
  [[2, 3, 6, 4], [2, 3, 5, 4], false, true], // a ViT's q·kᵀ: [B, heads, N, d]
  [[2, 3, 6, 5], [1, 1, 6, 4], true, false], // broadcast batch dims
  [[3, 6, 4], [6, 5], true, false],
  [[2, 3, 6, 4], [3, 4, 5], false, false], // a broadcast the native kernel leaves to XNNPACK
  [[33, 128], [128, 256], false, false], // the projector's first layer; rows and columns with tails
  [[37, 256], [37, 256], true, false], // its weight gradient xᵀ·dy
  [[37, 256], [200, 256], false, true], // its input gradient dy·Wᵀ
  [[9, 600], [600, 500], false, false], // B past NATIVE_MAX_VALUES: XNNPACK
];

describeEachBuild('BatchMatMul on wasm matches cpu', () => {
  it('NATIVE_MAX_VALUES leaves the last case to XNNPACK', () => expect(600 * 500).toBeGreaterThan(NATIVE_MAX_VALUES));
  products.forEach(([sa, sb, ta, tb], n) => {
    it(`${sa.join('×')}${ta ? 'ᵀ' : ''} · ${sb.join('×')}${tb ? 'ᵀ' : ''}`, async () => {
      const [a, b] = [randomValues(sizeOf(sa), 71 + n), randomValues(sizeOf(sb), 81 + n)];
      await expectSameOnBoth('BatchMatMul', () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb));
    });
  });
  for (const [sa, sb, ta, tb] of [
    [[33, 128], [128, 256], false, false],
    [[128, 33], [256, 128], true, true],
    [[5, 7], [7, 6], false, false],
  ] as [number[], number[], boolean, boolean][]) {
    it(`a dense layer: ${sa.join('×')}${ta ? 'ᵀ' : ''} · ${sb.join('×')}${tb ? 'ᵀ' : ''} + bias, and with ReLU`, async () => {
      const N = tb ? sb[0] : sb[1];
      const [a, b, bias] = [randomValues(sizeOf(sa), 91), randomValues(sizeOf(sb), 92), randomValues(N, 93)];
      for (const activation of ['linear', 'relu'] as const) {
        await expectSameOnBoth('_FusedMatMul', () =>
          tf.fused.matMul({
            a: tf.tensor2d(a, sa as [number, number]),
            b: tf.tensor2d(b, sb as [number, number]),
            transposeA: ta,
            transposeB: tb,
            bias: tf.tensor1d(bias),
            activation,
          }),
        );
      }
    });
  }
});
