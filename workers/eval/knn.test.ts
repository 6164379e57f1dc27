import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { knnClassify, vote } from './knn';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const t2 = (rows: number[][]) => tf.tensor2d(rows);

describe('weighted k-NN (Wu et al. 2018, DINO eval_knn)', () => {
  it('finds hand-placed neighbours in order of cosine similarity, whatever their length', async () => {
    // Training vectors at angles 0°, 30°, 90°, 180° (lengths vary: only direction counts).
    const train = t2([
      [1, 0],
      [3 * Math.cos(Math.PI / 6), 3 * Math.sin(Math.PI / 6)],
      [0, 0.5],
      [-2, 0],
    ]);
    const test = t2([[10, 1]]); // about 5.7°
    const r = await knnClassify(train, Int32Array.from([0, 0, 1, 1]), test, Int32Array.from([0]), {
      k: 4,
      temperature: 0.07,
      numClasses: 2,
    });
    expect(Array.from(r.neighbours)).toEqual([0, 1, 2, 3]);
    const cos = (deg: number) => Math.cos(((deg - Math.atan2(1, 10) * (180 / Math.PI)) * Math.PI) / 180);
    expect(Array.from(r.similarities)).toEqual([0, 30, 90, 180].map((d) => expect.closeTo(cos(d), 5)));
    expect(r.top1).toBe(1);
    expect(r.top5).toBeNull();
    tf.dispose([train, test]);
  });

  it('weights votes by exp(s / T): two close neighbours outvote three far ones at small T, not at large T', async () => {
    // Class 0: two neighbours at similarity ~0.99; class 1: three at ~0.6.
    const a = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    const train = t2([a(8), a(-8), a(53), a(-53), a(53.5)]);
    const labels = Int32Array.from([0, 0, 1, 1, 1]);
    const test = t2([a(0)]);
    const sharp = await knnClassify(train, labels, test, Int32Array.from([0]), { k: 5, temperature: 0.07, numClasses: 2 });
    const flat = await knnClassify(train, labels, test, Int32Array.from([0]), { k: 5, temperature: 100, numClasses: 2 });
    expect(Array.from(sharp.predictions)).toEqual([0]);
    expect(Array.from(flat.predictions)).toEqual([1]);
    tf.dispose([train, test]);
  });

  it('vote sums exp(s / T) per class', () => {
    const s = vote([0.5, 0.2, 0.1], [1, 0, 1], 3, 0.1);
    expect(Array.from(s)).toEqual([expect.closeTo(Math.exp(2), 9), expect.closeTo(Math.exp(5) + Math.exp(1), 9), 0]);
  });

  it('agrees with a brute-force float64 reference on random data, in small chunks, with top-5', async () => {
    const rand = mulberry32(3);
    const [n, m, d, c, k, T] = [60, 23, 8, 6, 7, 0.1];
    const mk = (rows: number) => Array.from({ length: rows }, () => Array.from({ length: d }, () => rand() * 2 - 1));
    const tr = mk(n);
    const te = mk(m);
    const ytr = Int32Array.from({ length: n }, () => Math.floor(rand() * c));
    const yte = Int32Array.from({ length: m }, () => Math.floor(rand() * c));
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    let right1 = 0;
    let right5 = 0;
    const want: number[] = [];
    for (let i = 0; i < m; i++) {
      const q = unit(te[i]);
      const sims = tr
        .map((v, j) => [unit(v).reduce((a, x, z) => a + x * q[z], 0), j])
        .sort((p, r) => r[0] - p[0])
        .slice(0, k);
      const scores = new Array(c).fill(0);
      for (const [s, j] of sims) scores[ytr[j]] += Math.exp(s / T);
      const order = scores.map((_, z) => z).sort((p, r) => scores[r] - scores[p] || p - r);
      want.push(order[0]);
      if (order[0] === yte[i]) right1++;
      if (order.slice(0, 5).includes(yte[i])) right5++;
    }
    const train = t2(tr);
    const test = t2(te);
    const progress: number[] = [];
    const r = await knnClassify(train, ytr, test, yte, { k, temperature: T, numClasses: c, chunk: 5 }, (done) => progress.push(done));
    expect(Array.from(r.predictions)).toEqual(want);
    expect(r.top1).toBeCloseTo(right1 / m, 10);
    expect(r.top5).toBeCloseTo(right5 / m, 10);
    expect(progress).toEqual([5, 10, 15, 20, 23]);
    tf.dispose([train, test]);
  });

  it('clamps k to the training set, leaks nothing, and refuses empty or mismatched inputs', async () => {
    const before = tf.memory().numTensors;
    const train = t2([
      [1, 0],
      [0, 1],
    ]);
    const test = t2([[1, 0.1]]);
    const r = await knnClassify(train, Int32Array.from([0, 1]), test, Int32Array.from([0]), { k: 20, temperature: 0.07, numClasses: 2 });
    expect(r.neighbours.length).toBe(2);
    const wide = t2([[1, 2, 3]]);
    await expect(
      knnClassify(train, Int32Array.from([0, 1]), wide, Int32Array.from([0]), { k: 1, temperature: 1, numClasses: 2 }),
    ).rejects.toThrow(/feature sizes differ: training 2, test 3/);
    const empty = tf.zeros([0, 2]) as tf.Tensor2D;
    await expect(
      knnClassify(train, Int32Array.from([0, 1]), empty, new Int32Array(0), { k: 1, temperature: 1, numClasses: 2 }),
    ).rejects.toThrow(/got 2 training and 0 test samples/);
    tf.dispose([train, test, wide, empty]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
