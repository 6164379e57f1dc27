import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, permutation } from '../dataset/random';
import { kCenterGreedy, kmeans, silhouette, suggestK } from './kmeans';
import { normalize, unitRows } from './test-kit';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * `per` unit rows around each of the given spots (basis vectors e_s of d dims), jittered by uniform
 * noise of the given size, in a seeded shuffled order. Returns the rows and each row's spot.
 */
function spots(which: number[], per: number, d: number, noise: number, seed: number) {
  const rand = mulberry32(seed);
  const order = permutation(which.length * per, rand);
  const truth = Int32Array.from(order, (o) => which[Math.floor(o / per)]);
  const x = new Float32Array(truth.length * d);
  truth.forEach((s, i) => {
    x.set(normalize(Array.from({ length: d }, (_, t) => (t === s ? 1 : 0) + noise * (rand() * 2 - 1))), i * d);
  });
  return { x, truth, n: truth.length };
}

const cos = (x: Float32Array, i: number, y: Float32Array, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += x[i * d + t] * y[j * d + t];
  return s;
};

/** Rousseeuw's silhouette over every row, in float64, straight from the definition. */
function silhouetteReference(x: Float32Array, n: number, d: number, assign: Int32Array, k: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sum = new Array(k).fill(0);
    const count = new Array(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      sum[assign[j]] += 1 - cos(x, i, x, j, d);
      count[assign[j]]++;
    }
    if (count[assign[i]] === 0) continue;
    const a = sum[assign[i]] / count[assign[i]];
    const b = Math.min(...sum.map((s, c) => (c === assign[i] || count[c] === 0 ? Infinity : s / count[c])));
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

describe('kmeans (spherical, k-means++ seeding)', () => {
  const { x, truth, n } = spots([0, 1, 2], 30, 6, 0.3, 1);

  it('recovers three well separated clusters exactly, up to a permutation of their numbers', async () => {
    const before = tf.memory().numTensors;
    const r = await kmeans(x, n, 6, 3, { seed: 7 });
    expect(tf.memory().numTensors).toBe(before);
    // Each found cluster is exactly one true spot.
    const spotOf = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (!spotOf.has(r.assign[i])) spotOf.set(r.assign[i], truth[i]);
      expect(spotOf.get(r.assign[i])).toBe(truth[i]);
    }
    expect(new Set(spotOf.values()).size).toBe(3);
    expect(Array.from(r.sizes)).toEqual([30, 30, 30]);
    expect(r.iterations).toBeLessThan(50);
  });

  it('returns unit centroids, the inertia of its assignment and exemplars that are members, closest first', async () => {
    const r = await kmeans(x, n, 6, 3, { seed: 7, exemplars: 5 });
    let inertia = 0;
    for (let i = 0; i < n; i++) inertia += 1 - cos(x, i, r.centroids, r.assign[i], 6);
    expect(r.inertia).toBeCloseTo(inertia, 5);
    for (let c = 0; c < 3; c++) {
      expect(cos(r.centroids, c, r.centroids, c, 6)).toBeCloseTo(1, 6);
      const e = r.exemplars[c];
      expect(e.length).toBe(5);
      expect(e.every((i) => r.assign[i] === c)).toBe(true);
      const sims = e.map((i) => cos(x, i, r.centroids, c, 6));
      expect(sims).toEqual([...sims].sort((a, b) => b - a));
      // No other member is closer than the last exemplar.
      for (let i = 0; i < n; i++)
        if (r.assign[i] === c && !e.includes(i)) expect(cos(x, i, r.centroids, c, 6)).toBeLessThanOrEqual(sims[4]);
    }
  });

  it('stops at a fixed point of Lloyd: every row at its most similar centroid, every centroid its members’ mean direction', async () => {
    const [m, d, k] = [200, 5, 6];
    const y = unitRows(m, d, 3);
    const r = await kmeans(y, m, d, k, { seed: 2 });
    expect(r.iterations).toBeLessThan(50);
    for (let i = 0; i < m; i++) {
      const own = cos(y, i, r.centroids, r.assign[i], d);
      for (let c = 0; c < k; c++) expect(cos(y, i, r.centroids, c, d)).toBeLessThanOrEqual(own + 1e-6);
    }
    for (let c = 0; c < k; c++) {
      const sum = new Array(d).fill(0);
      for (let i = 0; i < m; i++) if (r.assign[i] === c) for (let t = 0; t < d; t++) sum[t] += y[i * d + t];
      const norm = Math.hypot(...sum);
      sum.forEach((s, t) => expect(r.centroids[c * d + t]).toBeCloseTo(s / norm, 6));
    }
  });

  it('gives the same result for the same seed', async () => {
    const { x: y, n: m } = spots([0, 1, 2, 3], 20, 5, 1.5, 4); // overlapping: the seed matters
    const a = await kmeans(y, m, 5, 4, { seed: 3 });
    const b = await kmeans(y, m, 5, 4, { seed: 3 });
    expect(b).toEqual(a);
  });

  it('ends with an empty cluster rather than looping when there are fewer distinct rows than k', async () => {
    const y = Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1]); // three copies of e0, one of e1
    const r = await kmeans(y, 4, 2, 3, { seed: 1 });
    expect(r.sizes.reduce((s, v) => s + v, 0)).toBe(4);
    expect(Array.from(r.sizes).sort()).toEqual([0, 1, 3]);
    expect(r.inertia).toBeCloseTo(0, 6);
  });

  it('stops when cancelled, leaking nothing, and refuses k > n with the numbers', async () => {
    const before = tf.memory().numTensors;
    await expect(kmeans(x, n, 6, 3, { cancelled: () => true })).rejects.toThrow('cancelled');
    expect(tf.memory().numTensors).toBe(before);
    await expect(kmeans(x.subarray(0, 12), 2, 6, 3)).rejects.toThrow('cannot make k = 3 clusters of 2 rows');
    await expect(kmeans(x, n, 6, 0)).rejects.toThrow('k must be a positive integer, got 0');
  });
});

describe('silhouette (Rousseeuw 1987, cosine distance)', () => {
  const { x, truth, n } = spots([0, 1, 2], 30, 6, 0.3, 1);

  it('is near 1 for separated clusters and near 0 for a random assignment', () => {
    expect(silhouette(x, n, 6, truth, 3)).toBeGreaterThan(0.8);
    const rand = mulberry32(5);
    const random = Int32Array.from({ length: n }, () => Math.floor(rand() * 3));
    expect(Math.abs(silhouette(x, n, 6, random, 3))).toBeLessThan(0.1);
  });

  it('equals the definition on every row when the sample holds them all, a singleton counting 0', () => {
    const { x: y, truth: t, n: m } = spots([0, 1, 2], 15, 4, 1, 8);
    const assign = t.slice();
    assign[0] = 3; // a cluster of one
    expect(silhouette(y, m, 4, assign, 4, { sample: m })).toBeCloseTo(silhouetteReference(y, m, 4, assign, 4), 6);
  });

  it('samples with a seed: the same seed the same value, at most `sample` rows', () => {
    const a = silhouette(x, n, 6, truth, 3, { sample: 20, seed: 1 });
    expect(silhouette(x, n, 6, truth, 3, { sample: 20, seed: 1 })).toBe(a);
    expect(silhouette(x, n, 6, truth, 3, { sample: 20, seed: 2 })).not.toBe(a);
  });

  it('refuses an assignment outside 0..k − 1', () => {
    const bad = truth.slice();
    bad[4] = 3;
    expect(() => silhouette(x, n, 6, bad, 3)).toThrow('row 4 is assigned to cluster 3, outside 0..2');
  });
});

describe('suggestK', () => {
  it('picks 3 on three clusters, reporting every k tried in order', async () => {
    const { x, n } = spots([0, 1, 2], 30, 6, 0.3, 2);
    const progress: number[] = [];
    const before = tf.memory().numTensors;
    const r = await suggestK(x, n, 6, [2, 3, 4, 5], { seed: 1, onProgress: (done) => progress.push(done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.best).toBe(3);
    expect(r.scores.map((s) => s.k)).toEqual([2, 3, 4, 5]);
    expect(progress).toEqual([1, 2, 3, 4]);
    await expect(suggestK(x, n, 6, [1, 3])).rejects.toThrow('the silhouette needs k ≥ 2 clusters, got k = 1');
  });
});

describe('kCenterGreedy (farthest-point traversal)', () => {
  it('picks one row from each of four far apart spots first, the covering radius never growing', async () => {
    const { x, truth, n } = spots([0, 1, 2, 3], 10, 6, 0.1, 3);
    const before = tf.memory().numTensors;
    const r = await kCenterGreedy(x, n, 6, 8);
    expect(tf.memory().numTensors).toBe(before);
    expect(new Set(Array.from(r.picked.subarray(0, 4), (i) => truth[i])).size).toBe(4);
    expect(new Set(r.picked).size).toBe(8);
    for (let t = 1; t < 8; t++) expect(r.radius[t]).toBeLessThanOrEqual(r.radius[t - 1]);
    // Before every spot holds a center the radius is about 1 (orthogonal spots), after it is small.
    expect(r.radius[2]).toBeGreaterThan(0.8);
    expect(r.radius[3]).toBeLessThan(0.2);
  });

  it('agrees with a float64 farthest-point traversal from the row nearest the mean direction', async () => {
    const [n, d, m] = [150, 7, 12];
    const x = unitRows(n, d, 6);
    const mean = new Float32Array(d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += x[i * d + t];
    const nearMean = Array.from({ length: n }, (_, i) => i).reduce((b, i) => (cos(x, i, mean, 0, d) > cos(x, b, mean, 0, d) ? i : b));
    const picked = [nearMean];
    const radius: number[] = [];
    const nearest = new Array(n).fill(Infinity);
    for (let t = 0; t < m; t++) {
      for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i], 1 - cos(x, i, x, picked[t], d));
      const far = nearest.reduce((b, v, i) => (v > nearest[b] ? i : b), 0);
      radius.push(nearest[far]);
      if (t + 1 < m) picked.push(far);
    }
    const r = await kCenterGreedy(x, n, d, m);
    expect(Array.from(r.picked)).toEqual(picked);
    Array.from(r.radius).forEach((v, t) => expect(v).toBeCloseTo(radius[t], 5));
  });

  it('picks every row once when m = n, even with repeats, ending at radius 0', async () => {
    const x = Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1, -1, 0]);
    const r = await kCenterGreedy(x, 5, 2, 5);
    expect(Array.from(r.picked).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(r.radius[4]).toBe(0);
    await expect(kCenterGreedy(x, 5, 2, 6)).rejects.toThrow('m must be an integer in 1..5 (the rows), got 6');
  });
});
