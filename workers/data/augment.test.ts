import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentView, cropBox } from './augment';
import { mulberry32 } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RandomResizedCrop boxes', () => {
  it('stay inside the image and follow the configured area range over many draws', () => {
    const rand = mulberry32(1);
    const [h, w] = [28, 28];
    const areas: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const [y1, xa, y2, xb] = cropBox(h, w, { imageSize: 16, cropScaleMin: 0.2, flipProb: 0.5 }, rand);
      const [x1, x2] = [Math.min(xa, xb), Math.max(xa, xb)];
      for (const c of [y1, y2, x1, x2]) expect(c).toBeGreaterThanOrEqual(0), expect(c).toBeLessThanOrEqual(1);
      areas.push((((y2 - y1) * (h - 1) + 1) * ((x2 - x1) * (w - 1) + 1)) / (h * w));
    }
    // Rounding to whole pixels moves the bounds by at most about a pixel's share of the area.
    expect(Math.min(...areas)).toBeGreaterThan(0.2 - 0.05);
    expect(Math.max(...areas)).toBeLessThanOrEqual(1);
    const mean = areas.reduce((s, a) => s + a, 0) / areas.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.65);
  });

  it('flip about half the time (x1 > x2)', () => {
    const rand = mulberry32(2);
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const [, x1, , x2] = cropBox(32, 32, { imageSize: 32, cropScaleMin: 0.5 }, rand);
      if (x1 > x2) flips++;
    }
    expect(flips / 2000).toBeGreaterThan(0.45);
    expect(flips / 2000).toBeLessThan(0.55);
  });
});

describe('augmentView', () => {
  it('a full-image flipped box mirrors the image; flipping twice is the identity', () => {
    const img = tf.tensor4d(Array.from({ length: 4 * 4 * 3 }, (_, i) => i / 48), [1, 4, 4, 3]);
    const flip = (x: tf.Tensor4D) => tf.image.cropAndResize(x, tf.tensor2d([[0, 1, 1, 0]]), tf.tensor1d([0], 'int32'), [4, 4]);
    expect(flip(img).arraySync()).toEqual(tf.reverse(img, 2).arraySync());
    const twice = flip(flip(img) as tf.Tensor4D);
    expect(Array.from(twice.dataSync())).toEqual(Array.from(img.dataSync()).map((v) => expect.closeTo(v, 6)));
  });

  it('normalizes with the dataset statistics and the same seed gives the same views', () => {
    const images = tf.randomUniform([5, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const stats = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
    const idx = Int32Array.from([0, 2, 4, 1]);
    const a = augmentView(images, idx, { imageSize: 8, cropScaleMin: 0.08 }, stats, mulberry32(9));
    const b = augmentView(images, idx, { imageSize: 8, cropScaleMin: 0.08 }, stats, mulberry32(9));
    const c = augmentView(images, idx, { imageSize: 8, cropScaleMin: 0.08 }, stats, mulberry32(10));
    expect(a.shape).toEqual([4, 8, 8, 3]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
  });
});
