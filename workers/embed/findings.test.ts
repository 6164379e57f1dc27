import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { combinedOutlierScore, curation } from './findings';
import { knnGraph } from './graph';
import { normalize } from './test-kit';
import { umapLayout } from './umap';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n unit rows around `centres` (each row near centre i % centres.length), seeded. [n, d] */
function clusters(n: number, d: number, centres: number[][], noise: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length];
    x.set(normalize(Array.from({ length: d }, (_, j) => c[j] + noise * (rand() - 0.5))), i * d);
  }
  return x;
}

describe('the outlier score the panel ranks by', () => {
  it('is the higher of the two percentile ranks: an image extreme by either score comes first', () => {
    const knn = Float32Array.from([0.1, 0.9, 0.2, 0.3]);
    const atypical = Float32Array.from([5, 1, 2, 3]);
    const s = combinedOutlierScore(knn, atypical);
    expect(Array.from(s)).toEqual([1, 1, 1 / 3, 2 / 3].map((v) => expect.closeTo(v, 6)));
  });
});

describe('the curation of a dataset', () => {
  it('finds the planted copy, the misfiled image and the odd one out', async () => {
    const [n, d] = [60, 6];
    const centres = [
      [1, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
    ];
    const x = clusters(n, d, centres, 0.3, 3);
    // Image 59 is far from every cluster; image 4 is filed under class 0 but sits in cluster 1.
    x.set([0, 0, 0, 0.6, 0.8, 0], 59 * d);
    const labels = Int32Array.from({ length: n }, (_, i) => (i === 4 ? 0 : i % 3));
    labels[4] = 0; // i % 3 === 1: cluster 1, filed as 0
    // Pixels: image 7 an exact copy of image 10.
    const pixels = new Uint8Array(n * 4).map((_, t) => (t * 7 + 3) % 251);
    pixels.copyWithin(7 * 4, 10 * 4, 11 * 4);
    const data = fromPixels(pixels, { count: n, height: 2, width: 2, channels: 1 }, labels, ['a', 'b', 'c'], {
      id: 't',
      name: 't',
      source: 't',
      testFraction: 0.2,
      seed: 0,
    });
    const g = await knnGraph(x, n, d, 16);
    const atypicality = new Float32Array(n).map((_, i) => (i === 59 ? 3 : 1));
    const r = curation(g, atypicality, data, labels, 3, { k: 8, outlierK: 10, duplicateThreshold: 0.999, outliers: 3, suspects: 5 });
    expect(r.exact).toEqual([[7, 10]]);
    expect(r.outliers[0]).toBe(59);
    expect(r.suspects[0]).toMatchObject({ index: 4, given: 0, suggested: 1 });
    expect(r.predicted[4]).toBe(1);
    expect(r.predicted[5]).toBe(labels[5]); // agreeing votes keep the label
  });
});

describe('UMAP of a k-NN graph', () => {
  it('lays two separate groups out apart, and hands out frames on the way', async () => {
    const [n, d] = [80, 4];
    const x = clusters(
      n,
      d,
      [
        [1, 0, 0, 0],
        [0, 0, 1, 0],
      ],
      0.4,
      5,
    );
    const g = await knnGraph(x, n, d, 16);
    const frames: number[] = [];
    const xy = await umapLayout(
      g,
      0,
      (_, epoch) => frames.push(epoch),
      () => false,
    );
    expect(xy).toHaveLength(2 * n);
    expect(frames[frames.length - 1]).toBe(500); // the last frame is the final layout
    const centre = (k: number) =>
      [0, 1].map((a) => {
        let s = 0;
        for (let i = k; i < n; i += 2) s += xy[2 * i + a];
        return s / (n / 2);
      });
    const [c0, c1] = [centre(0), centre(1)];
    const spread = (k: number, c: number[]) => {
      let s = 0;
      for (let i = k; i < n; i += 2) s += Math.hypot(xy[2 * i] - c[0], xy[2 * i + 1] - c[1]);
      return s / (n / 2);
    };
    expect(Math.hypot(c0[0] - c1[0], c0[1] - c1[1])).toBeGreaterThan(2 * Math.max(spread(0, c0), spread(1, c1)));
  });
});
