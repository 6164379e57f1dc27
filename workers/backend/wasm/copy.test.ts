// GatherV2 and SplitV as copies (copy.ts) against the CPU backend. Runs in Node on WASM.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from './register';

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const range = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (dtype === 'int32' ? i * 7 - 50 : i * 0.37 - 3)),
    shape,
    dtype,
  );

async function onBoth(f: () => tf.Tensor | tf.Tensor[]) {
  const read = async (backend: string) => {
    await tf.setBackend(backend);
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(async (t) => ({ shape: t.shape, values: Array.from(await t.data()) })));
    tf.dispose(list);
    return values;
  };
  const want = await read('cpu');
  const got = await read('wasm');
  expect(got).toEqual(want);
}

describe('GatherV2 on wasm equals cpu', () => {
  it('whole images (axis 0), repeated and out of order', () => onBoth(() => tf.gather(range([6, 4, 4, 3]), [5, 0, 0, 3])));
  it('axis 1 and 2, and the last axis (short slices: the WASM kernel)', async () => {
    await onBoth(() => tf.gather(range([3, 5, 4, 8]), [4, 1], 1));
    await onBoth(() => tf.gather(range([3, 5, 4, 8]), [3, 3, 0], 2));
    await onBoth(() => tf.gather(range([3, 5, 4, 8]), [7, 0], 3));
  });
  it('int32 values, 2-D indices and batchDims 1', async () => {
    await onBoth(() =>
      tf.gather(
        range([5, 16], 'int32'),
        tf.tensor2d(
          [
            [4, 0],
            [1, 1],
          ],
          [2, 2],
          'int32',
        ),
      ),
    );
    await onBoth(() =>
      tf.gather(
        range([2, 5, 16]),
        tf.tensor2d(
          [
            [4, 0, 2],
            [1, 1, 3],
          ],
          [2, 3],
          'int32',
        ),
        1,
        1,
      ),
    );
  });
  it('refuses an index out of range, naming it', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.gather(range([4, 16]), [4])).toThrow(/index value 4 is not in \[0, 3\]/);
  });
});

describe('SplitV on wasm equals cpu', () => {
  it('RGB channels (last axis), equal and uneven sizes', async () => {
    await onBoth(() => tf.split(range([4, 5, 5, 3]), 3, -1));
    await onBoth(() => tf.split(range([4, 5, 7]), [2, -1, 1], 2));
    await onBoth(() => tf.split(range([6, 4], 'int32'), [1, 3], 1));
  });
  it('another axis (the WASM kernel)', () => onBoth(() => tf.split(range([4, 6, 3]), [2, 4], 1)));
});

it('leaks no tensor or backend buffer', async () => {
  await tf.setBackend('wasm');
  const backend = tf.findBackend('wasm') as BackendWasm;
  const x = range([8, 4, 4, 3]);
  const once = () => tf.tidy(() => [tf.gather(x, [1, 2, 7]), ...tf.split(x, 3, 3)]);
  tf.dispose(once());
  const before = { ...tf.memory(), buffers: backend.numDataIds() };
  for (let i = 0; i < 10; i++) tf.dispose(once());
  expect({ ...tf.memory(), buffers: backend.numDataIds() }).toEqual(before);
  x.dispose();
});
