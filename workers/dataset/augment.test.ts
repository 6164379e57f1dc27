import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { OFFICIAL_BLUR } from '../contract/presets';
import { applyParams, augmentView, cropBox, drawParams, viewOptions } from './augment';
import { adjustBrightness, adjustContrast } from './color';
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
    const img = tf.tensor4d(
      Array.from({ length: 4 * 4 * 3 }, (_, i) => i / 48),
      [1, 4, 4, 3],
    );
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

describe('drawParams (the official recipe, per sample)', () => {
  it('draws each transform with its configured probability and range, per view', () => {
    const n = 4000;
    const rates = (view: 1 | 2) => {
      const p = drawParams(n, 28, 28, viewOptions({ ...DEFAULT_CONFIG, ...OFFICIAL_BLUR }, view), mulberry32(view));
      const share = (a: ArrayLike<number>, ok: (v: number) => boolean) => Array.from(a).filter(ok).length / n;
      for (let b = 0; b < n; b++) {
        const order = Array.from(p.order.subarray(4 * b, 4 * b + 4));
        if (order[0] >= 0) expect([...order].sort()).toEqual([0, 1, 2, 3]);
        else expect(order).toEqual([-1, -1, -1, -1]);
        for (const [j, s] of [
          [0, 0.4],
          [1, 0.4],
          [2, 0.2],
        ]) {
          expect(p.factors[j * n + b]).toBeGreaterThanOrEqual(1 - s);
          expect(p.factors[j * n + b]).toBeLessThanOrEqual(1 + s);
        }
        expect(Math.abs(p.factors[3 * n + b])).toBeLessThanOrEqual(0.1);
        if (p.sigma[b] > 0) expect(p.sigma[b]).toBeGreaterThanOrEqual(0.1), expect(p.sigma[b]).toBeLessThanOrEqual(2);
      }
      return {
        jitter: Array.from({ length: n }, (_, b) => p.order[4 * b]).filter((o) => o >= 0).length / n,
        gray: share(p.gray, (v) => v === 1),
        blur: share(p.sigma, (v) => v > 0),
        solarize: share(p.solarize, (v) => v === 1),
      };
    };
    const v1 = rates(1);
    const v2 = rates(2);
    expect(v1.jitter).toBeCloseTo(0.8, 1);
    expect(v1.gray).toBeCloseTo(0.2, 1);
    expect(v1.blur).toBe(1);
    expect(v1.solarize).toBe(0);
    expect(v2.blur).toBeCloseTo(0.1, 1);
    expect(v2.solarize).toBeCloseTo(0.2, 1);
  });
});

describe('applyParams', () => {
  const images = tf.randomUniform([3, 12, 12, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const idx = Int32Array.from([2, 0, 1]);
  const cropOnly = {
    imageSize: 8,
    cropScaleMin: 0.3,
    jitterProb: 1,
    brightness: 0,
    contrast: 0,
    saturation: 0,
    hue: 0,
    grayscaleProb: 0,
    blurProb: 0,
    solarizeProb: 0,
  };

  it('jitter with zero strength (and nothing else on) is the crop alone', () => {
    const p = drawParams(3, 12, 12, cropOnly, mulberry32(1));
    const crop = tf.image.cropAndResize(images, tf.tensor2d(p.boxes, [3, 4]), tf.tensor1d(idx, 'int32'), [8, 8]);
    const got = applyParams(images, idx, p, 8);
    expect(Array.from(got.dataSync())).toEqual(Array.from(crop.dataSync()).map((v) => expect.closeTo(v, 5)));
  });

  it("applies the jitter parts in each sample's own drawn order", () => {
    const p = drawParams(3, 12, 12, cropOnly, mulberry32(1));
    // Sample 0: brightness 1.4 then contrast 0.5; sample 1: contrast 0.5 then brightness 1.4; sample 2: none.
    p.order.set([0, 1, 2, 3, 1, 0, 2, 3, -1, -1, -1, -1]);
    p.factors.set([1.4, 1.4, 1, 0.5, 0.5, 1, 1, 1, 1, 0, 0, 0]);
    const crop = tf.image.cropAndResize(images, tf.tensor2d(p.boxes, [3, 4]), tf.tensor1d(idx, 'int32'), [8, 8]) as tf.Tensor4D;
    const one = (b: number) => tf.slice(crop, [b], [1]) as tf.Tensor4D;
    const f = (v: number) => tf.tensor1d([v]);
    const want = tf.concat([
      adjustContrast(adjustBrightness(one(0), f(1.4)), f(0.5)),
      adjustBrightness(adjustContrast(one(1), f(0.5)), f(1.4)),
      one(2),
    ]);
    const got = applyParams(images, idx, p, 8);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()).map((v) => expect.closeTo(v, 5)));
    // The two orders really differ (brightness clamps at 1 before or after the contrast blend).
    expect(Array.from(tf.slice(got, [0], [1]).dataSync())).not.toEqual(
      Array.from(adjustBrightness(adjustContrast(one(0), f(0.5)), f(1.4)).dataSync()),
    );
  });

  it('the full recipe keeps pixels in [0, 1] and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const p = drawParams(3, 12, 12, { ...viewOptions(DEFAULT_CONFIG, 2), imageSize: 8, solarizeProb: 1, blurProb: 1 }, mulberry32(3));
    const x = applyParams(images, idx, p, 8);
    const v = x.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
