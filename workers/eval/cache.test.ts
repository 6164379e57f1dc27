import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPixels, type Dataset } from '../dataset/dataset';
import { FeatureCache, type FeaturePair } from './cache';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dataset = (): Dataset =>
  fromPixels(new Uint8Array(4 * 3), { count: 4, height: 1, width: 1, channels: 3 }, Int32Array.from([0, 1, 0, 1]), ['a', 'b'], {
    id: 'c',
    name: 'c',
    source: 'test',
    testFraction: 0.5,
    seed: 0,
  });

/** A computation that counts its calls and yields [rows, 2] features filled with `v`. */
function counter(v: number, rows = 2) {
  let calls = 0;
  const compute = async (): Promise<FeaturePair> => {
    calls++;
    await new Promise((r) => setTimeout(r, 1));
    return { train: tf.fill([rows, 2], v) as tf.Tensor2D, test: tf.fill([1, 2], v) as tf.Tensor2D };
  };
  return { compute, calls: () => calls };
}

const first = async (p: FeaturePair) => {
  const v = (await p.train.data())[0];
  tf.dispose([p.train, p.test]);
  return v;
};

describe('FeatureCache', () => {
  it('computes once per key, also for concurrent callers, and hands out clones that outlive clear()', async () => {
    const cache = new FeatureCache();
    const data = dataset();
    const before = tf.memory().numTensors;
    const a = counter(1);
    const [x, y] = await Promise.all([cache.get('k', data, a.compute), cache.get('k', data, a.compute)]);
    const z = await cache.get('k', data, a.compute);
    expect(a.calls()).toBe(1);
    cache.clear();
    expect(await first(x)).toBe(1);
    expect(await first(y)).toBe(1);
    expect(await first(z)).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts over for another dataset and for a cleared run prefix only', async () => {
    const cache = new FeatureCache();
    const [d1, d2] = [dataset(), dataset()];
    const a = counter(1);
    const b = counter(2);
    await first(await cache.get('run1@5|pool', d1, a.compute));
    await first(await cache.get('run2@9|pool', d1, b.compute));
    cache.clear('run1@');
    expect(cache.has('run1@5|pool', d1)).toBe(false);
    expect(cache.has('run2@9|pool', d1)).toBe(true);
    await first(await cache.get('run2@9|pool', d2, b.compute));
    expect(b.calls()).toBe(2);
    expect(cache.peek('run2@9|pool', d1)).toBeNull();
    cache.clear();
  });

  it('evicts the least recently used entries beyond its budget; clones handed out stay readable', async () => {
    // Each entry holds (2 + 1) × 2 floats = 24 bytes; the budget holds two.
    const cache = new FeatureCache(48);
    const data = dataset();
    const before = tf.memory().numTensors;
    const [a, b, c] = [counter(1), counter(2), counter(3)];
    await first(await cache.get('a', data, a.compute));
    await first(await cache.get('b', data, b.compute));
    const held = cache.peek('b', data)!;
    await first(await cache.get('a', data, a.compute)); // a is now the more recent
    await first(await cache.get('c', data, c.compute));
    expect(['a', 'b', 'c'].filter((k) => cache.has(k, data))).toEqual(['a', 'c']);
    expect(await first(held)).toBe(2); // evicted while held: the clone still reads
    const big = counter(4, 100);
    expect(await first(await cache.get('big', data, big.compute))).toBe(4); // larger than the budget: used, not kept
    expect(cache.has('big', data)).toBe(false);
    expect(cache.bytes).toBeLessThanOrEqual(48);
    cache.clear();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('forgets a failed computation, so that the next call tries again', async () => {
    const cache = new FeatureCache();
    const data = dataset();
    await expect(cache.get('k', data, () => Promise.reject(new Error('cancelled')))).rejects.toThrow('cancelled');
    const a = counter(7);
    expect(await first(await cache.get('k', data, a.compute))).toBe(7);
    cache.clear();
  });
});
