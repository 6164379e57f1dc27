// Tile (tile.ts) against the CPU backend's, including the shapes it leaves to the WASM kernel.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectSameOnBoth, randomValues, sizeOf, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

describe('Tile (replacing the slow WASM one) on wasm matches cpu', () => {
  const tiles: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [4, 3, 7, 1],
    ], // BatchNorm's gradient
    [
      [2, 3, 4],
      [3, 1, 2],
    ],
    [
      [3, 2],
      [1, 5],
    ],
    [[5], [3]],
    [
      [2, 1, 3, 2],
      [2, 4, 1, 3],
    ],
    [
      [64, 1],
      [1, 3],
    ], // one-value rows: more copies than 1 per 16 values, so the WASM kernel runs
    [
      [0, 3],
      [2, 2],
    ],
  ];
  tiles.forEach(([shape, reps], n) => {
    it(`${shape.join('×')} by ${reps.join('×')}`, async () => {
      const x = randomValues(sizeOf(shape), 61 + n);
      await expectSameOnBoth('Tile', () => tf.tile(tf.tensor(x, shape), reps));
    });
  });

  it('keeps int32 and bool values', async () => {
    await tf.setBackend('wasm');
    const ints = Array.from({ length: 16 }, (_, i) => i - 8);
    expect(Array.from(tf.tile(tf.tensor2d([ints], [1, 16], 'int32'), [3, 2]).dataSync())).toEqual(Array(6).fill(ints).flat());
    const bools = Array.from({ length: 32 }, (_, i) => i % 3 === 0);
    expect(Array.from(tf.tile(tf.tensor1d(bools, 'bool'), [3]).dataSync())).toEqual(Array(3).fill(bools.map(Number)).flat());
  });
});
