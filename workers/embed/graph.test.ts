import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineTopK, knnGraph } from './graph';
import { bruteNeighbours, unitRows } from './test-kit';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Unit vectors at the given angles in the plane. */
const angles = (deg: number[]) => Float32Array.from(deg.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]));

describe('knnGraph (blocked brute force on the TF.js backend)', () => {
  it('agrees with a float64 brute force in indices and similarities, block by block', async () => {
    const [n, d, k] = [300, 17, 8];
    const x = unitRows(n, d, 11);
    const progress: number[] = [];
    const before = tf.memory().numTensors;
    const g = await knnGraph(x, n, d, k, { block: 64, onProgress: (done, total) => progress.push(done / total) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([64, 128, 192, 256, 300].map((v) => v / n));
    expect([g.n, g.k, g.indices.length, g.sims.length]).toEqual([n, k, n * k, n * k]);
    let compared = 0;
    for (let i = 0; i < n; i++) {
      const want = bruteNeighbours(x, n, d, i);
      for (let j = 0; j < k; j++) {
        expect(g.indices[i * k + j]).not.toBe(i);
        expect(Math.abs(g.sims[i * k + j] - want[j].s)).toBeLessThan(1e-5);
        // An index is pinned where float32 rounding cannot swap it with the next or previous one.
        const gap = Math.min(want[j].s - want[j + 1].s, j > 0 ? want[j - 1].s - want[j].s : Infinity);
        if (gap > 1e-5) {
          expect(g.indices[i * k + j]).toBe(want[j].j);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0.99 * n * k);
  });

  it('ranks hand-placed vectors by angle and finds an exact duplicate first, at similarity 1, both ways', async () => {
    // Rows 0 and 3 are the same vector; the rest at 10°, 40°, 100° and 180°.
    const x = angles([0, 10, 40, 0, 100, 180]);
    const g = await knnGraph(x, 6, 2, 3);
    const row = (i: number) => Array.from(g.indices.subarray(i * 3, i * 3 + 3));
    expect(row(0)).toEqual([3, 1, 2]);
    expect(row(3)).toEqual([0, 1, 2]);
    expect(row(5)).toEqual([4, 2, 1]);
    expect(g.sims[0]).toBeCloseTo(1, 6);
    expect(g.sims[9]).toBeCloseTo(1, 6);
    expect(Array.from(g.sims.subarray(15, 18))).toEqual([80, 140, 170].map((a) => expect.closeTo(Math.cos((a * Math.PI) / 180), 6)));
  });

  it('clamps k to n − 1 and never lists a row as its own neighbour', async () => {
    const x = angles([0, 90, 200]);
    const g = await knnGraph(x, 3, 2, 10);
    expect(g.k).toBe(2);
    for (let i = 0; i < 3; i++) expect(Array.from(g.indices.subarray(2 * i, 2 * i + 2)).sort()).toEqual([0, 1, 2].filter((j) => j !== i));
  });

  it('stops between blocks when cancelled, leaking nothing', async () => {
    const x = unitRows(50, 4, 1);
    const before = tf.memory().numTensors;
    let blocks = 0;
    const run = knnGraph(x, 50, 4, 3, { block: 10, onProgress: () => blocks++, cancelled: () => blocks >= 2 });
    await expect(run).rejects.toThrow('cancelled');
    expect(blocks).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses too few rows, a wrong length, a bad k or block', async () => {
    await expect(knnGraph(new Float32Array(3), 1, 3, 1)).rejects.toThrow('a neighbour graph needs at least 2 rows, got 1');
    await expect(knnGraph(new Float32Array(7), 2, 4, 1)).rejects.toThrow('expected 2×4 = 8 feature values, got 7');
    await expect(knnGraph(new Float32Array(8), 2, 4, 0)).rejects.toThrow('k must be a positive integer, got 0');
    await expect(knnGraph(new Float32Array(8), 2, 4, 1, { block: 0 })).rejects.toThrow('block must be a positive integer, got 0');
  });
});

describe('cosineTopK (one query)', () => {
  it("gives a row's graph neighbours when that row is the query and excluded", async () => {
    const [n, d, k] = [120, 9, 6];
    const x = unitRows(n, d, 5);
    const g = await knnGraph(x, n, d, k);
    for (const i of [0, 17, 119]) {
      const r = await cosineTopK(x, n, d, x.subarray(i * d, (i + 1) * d), k, i);
      expect(Array.from(r.indices)).toEqual(Array.from(g.indices.subarray(i * k, (i + 1) * k)));
      Array.from(r.sims).forEach((s, j) => expect(s).toBeCloseTo(g.sims[i * k + j], 5));
    }
  });

  it('ranks hand-placed rows for a new query, equal similarities in index order, k clamped', async () => {
    const x = angles([30, -30, 0, 90, 180]);
    const r = await cosineTopK(x, 5, 2, angles([0]), 10);
    expect(Array.from(r.indices)).toEqual([2, 0, 1, 3, 4]);
    expect(Array.from(r.sims)).toEqual([1, Math.cos(Math.PI / 6), Math.cos(Math.PI / 6), 0, -1].map((s) => expect.closeTo(s, 6)));
    const without = await cosineTopK(x, 5, 2, angles([0]), 10, 2);
    expect(Array.from(without.indices)).toEqual([0, 1, 3, 4]);
  });

  it('refuses a query of the wrong size', async () => {
    await expect(cosineTopK(new Float32Array(6), 3, 2, new Float32Array(3), 1)).rejects.toThrow('the query has 3 dims, the features 2');
  });
});

describe('on the WASM backend', () => {
  it('finds the same neighbours as the CPU backend, never the row itself', async () => {
    // tfjs 4.22's WASM OneHot with a float32 on-value wrote its integer bits: the self mask vanished
    // and every row came out as its own nearest neighbour.
    const [n, d, k] = [120, 9, 5];
    const x = unitRows(n, d, 21);
    const cpu = await knnGraph(x, n, d, k, { block: 32 });
    await tf.setBackend('wasm');
    try {
      const wasm = await knnGraph(x, n, d, k, { block: 32 });
      for (let i = 0; i < n; i++) expect(Array.from(wasm.indices.subarray(i * k, (i + 1) * k))).not.toContain(i);
      expect(Array.from(wasm.indices)).toEqual(Array.from(cpu.indices));
      wasm.sims.forEach((s, t) => expect(s).toBeCloseTo(cpu.sims[t], 5));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
