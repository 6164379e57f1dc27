// Sum and Mean by average pooling (reduce.ts) against the CPU backend, which plans the
// reduction, and the WASM kernels it falls back to. Runs in Node on the WASM backend.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from './register';
import { poolingPlan } from './reduce';
import { lcgValues } from '../../dataset/random';

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Seeded values in (−1, 1) plus an offset, so a mean is far from 0 and a relative error means something. */
const values = (n: number, seed: number, offset = 0.5) => lcgValues(n, seed).map((v) => v + offset);

async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<{ values: Float32Array | Int32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const t = tf.tidy(f);
  const out = { values: (await t.data()) as Float32Array, shape: t.shape };
  t.dispose();
  return out;
}

describe('poolingPlan', () => {
  it('pools a contiguous run of axes that ends before the last, and nothing else', () => {
    expect(poolingPlan([64, 32, 32, 24], [0, 1, 2])).toEqual({ outer: 1, R: 64 * 32 * 32, inner: 24 });
    expect(poolingPlan([64, 32, 32, 24], [2, 1])).toEqual({ outer: 64, R: 32 * 32, inner: 24 });
    expect(poolingPlan([64, 512], 0)).toEqual({ outer: 1, R: 64, inner: 512 });
    expect(poolingPlan([64, 512], -2)).toEqual({ outer: 1, R: 64, inner: 512 });
    expect(poolingPlan([4, 5, 6], [0, 2])).toBeNull(); // not contiguous
    expect(poolingPlan([4, 5, 6], [1, 2])).toBeNull(); // innermost: the WASM kernel needs no transpose
    expect(poolingPlan([4, 5, 6], undefined)).toBeNull(); // all axes
    expect(poolingPlan([6], 0)).toBeNull();
    expect(poolingPlan([1, 5, 6], 0)).toBeNull(); // nothing to reduce
    expect(poolingPlan([0, 5, 6], 0)).toBeNull();
  });
});

describe('Sum and Mean on wasm match cpu', () => {
  const cases: { shape: number[]; axis?: number | number[] }[] = [
    { shape: [64, 8, 8, 24], axis: [0, 1, 2] }, // a BatchNorm's statistics
    { shape: [5, 7, 6, 3], axis: [1, 2] }, // global average pool
    { shape: [64, 512], axis: 0 }, // a BatchNorm1d's
    { shape: [3, 4, 5, 6], axis: [1] },
    { shape: [3, 4, 5, 6], axis: [-3, -2] },
    { shape: [3, 4, 5, 6], axis: [0, 2] }, // falls back
    { shape: [3, 4, 5, 6], axis: 3 }, // falls back
    { shape: [3, 4, 5, 6] }, // all axes: falls back
  ];
  for (const { shape, axis } of cases) {
    for (const op of ['sum', 'mean'] as const) {
      for (const keepDims of [false, true]) {
        it(`${op} of ${shape.join('×')} over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
          const x = values(
            shape.reduce((a, b) => a * b, 1),
            shape.length * 7 + (axis === undefined ? 0 : [axis].flat().length),
          );
          const reduce = op === 'sum' ? tf.sum : tf.mean;
          const f = () => reduce(tf.tensor(x, shape), axis, keepDims);
          const want = await on('cpu', f);
          const got = await on('wasm', f);
          expect(got.shape).toEqual(want.shape);
          const scale = Math.max(...want.values.map(Math.abs));
          want.values.forEach((w, i) => expect(Math.abs(got.values[i] - w)).toBeLessThanOrEqual(1e-5 * scale));
        });
      }
    }
  }

  it('keeps int32 sums exact (the WASM kernel does them)', async () => {
    const x = tf.tensor(
      Int32Array.from({ length: 24 }, (_, i) => i * 1000003),
      [2, 3, 4],
      'int32',
    );
    const got = await on('wasm', () => tf.sum(x, 0));
    expect(Array.from(got.values)).toEqual(Array.from({ length: 12 }, (_, i) => i * 1000003 + (i + 12) * 1000003));
  });

  it('gives the same gradients as cpu through a BatchNorm-like net', async () => {
    const shape = [16, 6, 6, 5];
    const x = values(16 * 6 * 6 * 5, 3);
    const r = values(16 * 6 * 6 * 5, 4, 0); // a loss Σ r·x̂ whose gradient is far from 0
    const grad = () =>
      tf.grad((t: tf.Tensor) => {
        const m = tf.mean(t, [0, 1, 2]);
        const v = tf.mean(tf.square(tf.sub(t, m)), [0, 1, 2]);
        return tf.sum(tf.mul(tf.div(tf.sub(t, m), tf.sqrt(tf.add(v, 1e-5))), tf.tensor(r, shape)));
      })(tf.tensor(x, shape));
    const want = await on('cpu', grad);
    const got = await on('wasm', grad);
    const scale = Math.max(...want.values.map(Math.abs));
    want.values.forEach((w, i) => expect(Math.abs(got.values[i] - w)).toBeLessThanOrEqual(1e-4 * scale));
  });

  it('leaks no tensor or backend buffer', async () => {
    await tf.setBackend('wasm');
    const backend = tf.findBackend('wasm') as BackendWasm;
    const x = tf.tensor(values(8 * 4 * 4 * 3, 9), [8, 4, 4, 3]);
    const once = () => tf.tidy(() => [tf.sum(x, [0, 1, 2]), tf.mean(x, [1, 2], true), tf.sum(x, 0)]);
    tf.dispose(once());
    const before = { ...tf.memory(), buffers: backend.numDataIds() };
    for (let i = 0; i < 10; i++) tf.dispose(once());
    expect({ ...tf.memory(), buffers: backend.numDataIds() }).toEqual(before);
    x.dispose();
  });
});
