import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  blurKernelSize,
  gaussianBlur,
  gaussianTaps,
  grayscale,
  solarize,
} from './color';
import { mulberry32 } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const random = (shape: [number, number, number, number], seed: number) => {
  const rand = mulberry32(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, rand), shape);
};
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const close = (got: tf.Tensor, want: ArrayLike<number>, digits = 5) =>
  expect(values(got)).toEqual(Array.from(want).map((v) => expect.closeTo(v, digits)));

/** colorsys.rgb_to_hsv / hsv_to_rgb (CPython Lib/colorsys.py), in float64. */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b),
    minc = Math.min(r, g, b);
  if (minc === maxc) return [0, 0, maxc];
  const s = (maxc - minc) / maxc;
  const rc = (maxc - r) / (maxc - minc),
    gc = (maxc - g) / (maxc - minc),
    bc = (maxc - b) / (maxc - minc);
  const h = r === maxc ? bc - gc : g === maxc ? 2 + rc - bc : 4 + gc - rc;
  return [(((h / 6) % 1) + 1) % 1, s, maxc];
}
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  if (s === 0) return [v, v, v];
  const i = Math.floor(h * 6),
    f = h * 6 - i;
  const p = v * (1 - s),
    q = v * (1 - s * f),
    t = v * (1 - s * (1 - f));
  return (
    [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ] as const
  )[((i % 6) + 6) % 6].slice() as [number, number, number];
}

describe('color transforms', () => {
  it('grayscale gives three equal channels where asked, and leaves the others alone', () => {
    const x = random([2, 3, 3, 3], 1);
    const y = grayscale(x, tf.tensor1d([1, 0])).arraySync();
    for (const row of y[0]) for (const [r, g, b] of row) expect(r).toBeCloseTo(g, 6), expect(g).toBeCloseTo(b, 6);
    close(tf.slice(grayscale(x, tf.tensor1d([1, 0])), [1], [1]), values(tf.slice(x, [1], [1])), 6);
  });

  it('solarization inverts pixels at or above 0.5 and leaves those below unchanged', () => {
    const x = tf.tensor4d([0.1, 0.49, 0.5, 0.9], [1, 2, 2, 1]);
    close(solarize(x, tf.tensor1d([1])), [0.1, 0.49, 0.5, 0.1]);
    close(solarize(x, tf.tensor1d([0])), [0.1, 0.49, 0.5, 0.9]);
  });

  it('identity factors leave an image unchanged (jitter with zero strength)', () => {
    const x = random([3, 4, 4, 3], 2);
    const ones = tf.ones([3]) as tf.Tensor1D;
    close(adjustBrightness(x, ones), values(x), 6);
    close(adjustContrast(x, ones), values(x), 6);
    close(adjustSaturation(x, ones), values(x), 6);
    close(adjustHue(x, tf.zeros([3]) as tf.Tensor1D), values(x), 5);
  });

  it('brightness, contrast and saturation blend as torchvision does, clamped to [0, 1]', () => {
    const px = [0.2, 0.6, 0.9, 0.4, 0.4, 0.1]; // one image of two pixels
    const x = tf.tensor4d(px, [1, 1, 2, 3]);
    const gray = [0, 1].map((i) => 0.2989 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2]);
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    close(
      adjustBrightness(x, tf.tensor1d([1.3])),
      px.map((v) => clamp(1.3 * v)),
    );
    const mean = (gray[0] + gray[1]) / 2;
    close(
      adjustContrast(x, tf.tensor1d([0.7])),
      px.map((v) => clamp(0.7 * v + 0.3 * mean)),
    );
    close(
      adjustSaturation(x, tf.tensor1d([1.2])),
      px.map((v, k) => clamp(1.2 * v - 0.2 * gray[Math.floor(k / 3)])),
    );
  });

  it('hue shifts agree with colorsys in float64, including wrap-around', () => {
    const rand = mulberry32(5);
    const px = Array.from({ length: 3 * 40 }, rand);
    px.splice(0, 6, 1, 0, 0, 0.5, 0.5, 0.5); // pure red and a gray pixel
    const shifts = [0.1, -0.1, 0.45, -0.45];
    for (const f of shifts) {
      const want = [];
      for (let i = 0; i < px.length; i += 3) {
        const [h, s, v] = rgbToHsv(px[i], px[i + 1], px[i + 2]);
        want.push(...hsvToRgb((((h + f) % 1) + 1) % 1, s, v));
      }
      close(adjustHue(tf.tensor4d(px, [1, 1, 40, 3]), tf.tensor1d([f])), want, 4);
    }
    // A third of a turn takes pure red to pure green.
    close(adjustHue(tf.tensor4d([1, 0, 0], [1, 1, 1, 3]), tf.tensor1d([1 / 3])), [0, 1, 0], 5);
  });
});

describe('gaussianBlur', () => {
  it('kernel is odd, about 10% of the side, at least 3; taps sum to 1; sigma 0 is a delta', () => {
    expect([8, 32, 64, 96, 224].map(blurKernelSize)).toEqual([3, 3, 7, 11, 23]);
    const taps = gaussianTaps(1.5, 7);
    expect(taps.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expect(taps[3]).toBeGreaterThan(taps[2]);
    expect(Array.from(gaussianTaps(0, 3))).toEqual([0, 1, 0]);
  });

  it('keeps a constant image constant (its mean too) and leaves sigma-0 samples unchanged', () => {
    const c = tf.fill([2, 20, 20, 3], 0.37) as tf.Tensor4D;
    close(gaussianBlur(c, Float32Array.from([2, 0.5])), new Array(2 * 20 * 20 * 3).fill(0.37), 5);
    const x = random([2, 20, 20, 3], 7);
    const y = gaussianBlur(x, Float32Array.from([1.5, 0]));
    close(tf.slice(y, [1], [1]), values(tf.slice(x, [1], [1])), 6);
    expect(tf.moments(tf.slice(y, [0], [1])).variance.dataSync()[0]).toBeLessThan(tf.moments(tf.slice(x, [0], [1])).variance.dataSync()[0]);
  });

  it('equals a direct 2-D convolution with reflect padding', () => {
    const [h, w] = [10, 10];
    const x = random([1, h, w, 1], 8);
    const img = x.dataSync();
    const sigma = 1.2;
    const k = blurKernelSize(10); // 3 -> half 1
    const t = gaussianTaps(sigma, k);
    const half = (k - 1) / 2;
    const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    const want: number[] = [];
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) s += t[a] * t[b] * img[reflect(y + a - half, h) * w + reflect(xx + b - half, w)];
        want.push(s);
      }
    }
    const rgb = tf.tile(x, [1, 1, 1, 3]) as tf.Tensor4D;
    const got = tf.slice(gaussianBlur(rgb, Float32Array.from([sigma])), [0, 0, 0, 0], [1, h, w, 1]);
    close(got, want, 5);
  });
});
