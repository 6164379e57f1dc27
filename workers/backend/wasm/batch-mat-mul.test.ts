// BatchMatMul (batch-mat-mul.ts) against the CPU backend's, with every combination of transposes.
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { expectSameOnBoth, randomValues, sizeOf, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

describe('BatchMatMul with transposes (replacing the slow WASM path) on wasm matches cpu', () => {
  const products: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[1, 5, 7], [1, 3, 5], true, true],
    [[2, 5, 7], [2, 5, 3], true, false], // batched
    [[2, 3, 6, 4], [2, 3, 5, 4], false, true], // a ViT's q·kᵀ: [B, heads, N, d]
    [[2, 3, 6, 5], [1, 1, 6, 4], true, false], // broadcast batch dims
    [[3, 6, 4], [6, 5], true, false],
  ];
  products.forEach(([sa, sb, ta, tb], n) => {
    it(`${sa.join('×')}${ta ? 'ᵀ' : ''} · ${sb.join('×')}${tb ? 'ᵀ' : ''}`, async () => {
      const [a, b] = [randomValues(sizeOf(sa), 71 + n), randomValues(sizeOf(sb), 81 + n)];
      await expectSameOnBoth('BatchMatMul', () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb));
    });
  });
});
