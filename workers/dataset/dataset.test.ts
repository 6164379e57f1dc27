import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPixels, imageName, relabel, uploadBatch } from './dataset';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const meta = { id: 't', name: 't', source: 't', testFraction: 0.5, seed: 0 };

describe('fromPixels', () => {
  it('tiles grayscale to 3 channels and gives each channel the gray statistics', () => {
    // Half black, half white: mean 0.5, population std 0.5.
    const d = fromPixels(
      Uint8Array.from([0, 255, 0, 255]),
      { count: 4, height: 1, width: 1, channels: 1 },
      Int32Array.from([0, 0, 1, 1]),
      ['a', 'b'],
      meta,
    );
    const x = uploadBatch(d, [3, 0]);
    expect(x.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(x.dataSync())).toEqual([1, 1, 1, 0, 0, 0]);
    x.dispose();
    expect(d.mean).toEqual([0.5, 0.5, 0.5]);
    expect(d.std.map((v) => v.toFixed(6))).toEqual(['0.500000', '0.500000', '0.500000']);
    expect(d.summary.classes).toEqual([
      { name: 'a', count: 2 },
      { name: 'b', count: 2 },
    ]);
  });
  it('keeps per-channel statistics for RGB', () => {
    // Two pixels: (0, 255, 51) and (0, 255, 153).
    const d = fromPixels(
      Uint8Array.from([0, 255, 51, 0, 255, 153]),
      { count: 2, height: 1, width: 1, channels: 3 },
      Int32Array.from([0, 1]),
      ['a', 'b'],
      meta,
    );
    expect(d.mean.map((v) => v.toFixed(6))).toEqual(['0.000000', '1.000000', '0.400000']);
    expect(d.std[2]).toBeCloseTo(0.2, 6);
    const x = uploadBatch(d, [1]);
    expect(Array.from(x.dataSync())).toEqual([0, 1, expect.closeTo(0.6, 6)]);
    x.dispose();
  });
  it('refuses pixels that do not match the shape, with the numbers', () => {
    expect(() =>
      fromPixels(new Uint8Array(5), { count: 2, height: 1, width: 1, channels: 3 }, Int32Array.from([0, 1]), ['a', 'b'], meta),
    ).toThrow(/2×1×1×3 = 6 bytes of pixels, got 5/);
  });
});

describe('relabel', () => {
  it('gives an unlabeled dataset classes, splits it by them and keeps its pixels and paths', () => {
    const n = 40;
    const pixels = new Uint8Array(n * 4).map((_, i) => i % 256);
    const meta = { id: 'u', name: 'u', source: 'Unlabeled folder', testFraction: 0.25, seed: 1 };
    const d = {
      ...fromPixels(pixels, { count: n, height: 2, width: 2, channels: 1 }, new Int32Array(n), [], meta),
      paths: Array.from({ length: n }, (_, i) => `x${i}.png`),
    };
    expect(d.summary.unlabeled).toBe(true);
    expect(d.test).toHaveLength(0);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const r = relabel(d, labels, ['even', 'odd'], 0.25, 1);
    expect(r.summary.unlabeled).toBe(false);
    expect(r.summary.classes).toEqual([
      { name: 'even', count: 20 },
      { name: 'odd', count: 20 },
    ]);
    expect(r.summary.id).toBe('u');
    expect(r.summary.source).toBe('Unlabeled folder, labelled here');
    expect(r.test.length).toBe(10); // stratified: 5 of each class
    expect(Array.from(r.test).filter((i) => labels[i] === 0)).toHaveLength(5);
    expect(r.pixels).toBe(d.pixels);
    expect(imageName(r, 3)).toBe('x3.png');
    expect(imageName({}, 3)).toBe('image-3');
    expect(() => relabel(d, new Int32Array(3), ['a'], 0.25, 1)).toThrow('3 labels for 40 images');
  });
});
