import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { buildModel } from '../model/model';
import { autoEvery, knnTop1, OnlineKnn, onlineSubsets } from './online-knn';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('knnTop1', () => {
  it('votes with exp(s / T) over the k best, best first', () => {
    // Two test rows, k = 3. Row 0: neighbours of class 1, 0, 0 at 0.9, 0.5, 0.5; row 1: 0, 0, 1.
    const values = [0.9, 0.5, 0.5, 0.8, 0.7, 0.6];
    const indices = [2, 0, 1, 0, 1, 2];
    const trainY = [0, 0, 1];
    // T = 0.07: exp(0.9/0.07) outweighs 2·exp(0.5/0.07), so row 0 says class 1; at T = 10 class 0 wins.
    expect(knnTop1(values, indices, 3, trainY, [1, 0], 2, 0.07)).toBe(1);
    expect(knnTop1(values, indices, 3, trainY, [1, 0], 2, 10)).toBe(0.5);
  });
});

describe('autoEvery', () => {
  it('spaces evaluations so that they cost at most 5% of the training time, and at most four per epoch', () => {
    // 800 ms per evaluation, 400 ms per step: 800 / (0.05 · 400) = 40 steps.
    expect(autoEvery(800, 400, 25)).toBe(40);
    expect(autoEvery(10, 400, 100)).toBe(25);
    expect(autoEvery(0, 400, 2)).toBe(1);
  });
});

/** Two classes a k-NN on pixels separates perfectly: dark images with a bright left half, or right half. */
function halves(n: number) {
  const side = 8;
  const px = new Uint8Array(n * side * side);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) px[(i * side + y) * side + x] = x < side / 2 === (labels[i] === 0) ? 200 + (i % 50) : 10;
  }
  return fromPixels(px, { count: n, height: side, width: side, channels: 1 }, labels, ['left', 'right'], {
    id: 'h',
    name: 'h',
    source: 't',
    testFraction: 0.25,
    seed: 1,
  });
}

describe('OnlineKnn', () => {
  it('draws fixed, seeded subsets of each split', () => {
    const data = { train: Int32Array.from({ length: 1000 }, (_, i) => i), test: Int32Array.from({ length: 100 }, (_, i) => 1000 + i) };
    const a = onlineSubsets(data, 3, 512, 64);
    expect(a.train.length).toBe(512);
    expect(a.test.length).toBe(64);
    expect(new Set(a.train).size).toBe(512);
    expect(a.test.every((i) => i >= 1000)).toBe(true);
    expect(onlineSubsets(data, 3, 512, 64)).toEqual(a);
    expect(onlineSubsets(data, 4, 512, 64).train).not.toEqual(a.train);
    expect(onlineSubsets(data, 3, 2000, 200).train.length).toBe(1000);
  });

  it('gives raw pixels 100% where they separate the classes, and the trained curve starts at the random-init line', async () => {
    const data = halves(64);
    const c = { ...DEFAULT_CONFIG, imageSize: 8, width: 4, projector: '8-8', knnK: 5 };
    const online = new OnlineKnn(data, c);
    expect(online.test.length).toBe(data.test.length);
    const before = tf.memory().numTensors;
    const lines = await online.baselines(7);
    expect(lines).toMatchObject({
      pixels: 1,
      trainCount: data.train.length,
      testCount: data.test.length,
      features: 'backbone, 4×4 grid',
      every: 7,
    });
    const model = buildModel(c);
    const point = await online.record(model, 0, 0);
    expect(point.record).toEqual({ step: 0, epoch: 0, top1: lines.random });
    expect(lines.random).toBe(1); // on the line: no paired difference is computed
    expect(point.vsPixels).toBeNull();
    // An encoder whose weights are all zero sees every image alike: below the line, and paired with
    // it on the same images, the difference is the two top-1s' and its interval under zero.
    tf.tidy(() => {
      for (const p of model.store.params) p.variable.assign(tf.zerosLike(p.variable));
    });
    const flat = await online.record(model, 1, 0);
    expect(flat.record.top1).toBeLessThan(1);
    expect(flat.vsPixels!.diff).toBeCloseTo(flat.record.top1 - lines.pixels, 12);
    expect(flat.vsPixels!.lo).toBeLessThanOrEqual(flat.vsPixels!.diff);
    expect(flat.vsPixels!.hi).toBeLessThan(0);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is not possible without labels or a test split', () => {
    const data = halves(16);
    expect(OnlineKnn.possible(data)).toBe(true);
    expect(OnlineKnn.possible({ ...data, test: new Int32Array(0) })).toBe(false);
    expect(OnlineKnn.possible({ ...data, summary: { ...data.summary, unlabeled: true } })).toBe(false);
  });
});
