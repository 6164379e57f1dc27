// The CPU renderer (render.ts) against the tensor route it stands in for (augment.ts applyParams on
// TF.js's CPU backend, then the normalization): the same views from the same draws, for RGB and
// grayscale data, every transform switched on, blur and solarization included.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { applyParams, drawParams, viewOptions } from './augment';
import { fromPixels, uploadBatch } from './dataset';
import { mulberry32 } from './random';
import { renderView } from './render';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A small dataset of seeded random bytes: n images of h × w × channels (R = G = B with `gray`). */
function dataset(n: number, h: number, w: number, channels: 1 | 3, gray = false) {
  const rand = mulberry32(5);
  const pixels = new Uint8Array(n * h * w * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = gray && i % 3 ? pixels[i - (i % 3)] : Math.floor(rand() * 256);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  return fromPixels(pixels, { count: n, height: h, width: w, channels }, labels, ['a', 'b'], {
    id: 't',
    name: 't',
    source: 't',
    testFraction: 0,
    seed: 0,
  });
}

const everything = {
  ...DEFAULT_CONFIG,
  imageSize: 16,
  blurProb1: 0.7,
  blurProb2: 0.5,
  solarizeProb1: 0.5,
  solarizeProb2: 0.5,
  grayscaleProb: 0.3,
  jitterProb: 0.9,
};

describe('renderView', () => {
  for (const kind of ['RGB', 'one-channel', 'gray RGB'] as const) {
    for (const view of [1, 2] as const) {
      it(`matches the tensor route for ${kind} data, view ${view}`, () => {
        const channels = kind === 'one-channel' ? 1 : 3;
        const data = dataset(12, 20, 18, channels, kind === 'gray RGB');
        expect(data.summary.grayscale).toBe(kind !== 'RGB');
        const batch = Int32Array.from([3, 0, 11, 7, 7, 5, 2, 9, 1, 10]);
        const o = viewOptions(everything, view, data.summary);
        const p = drawParams(batch.length, 20, 18, o, mulberry32(17 + view));
        expect(p.sigma.some((s) => s > 0) && p.solarize.some((s) => s > 0)).toBe(true);
        const got = renderView({ pixels: data.pixels, ...data.shape, gray: data.summary.grayscale }, batch, p, o.imageSize, data);
        const want = tf.tidy(() => {
          const x = uploadBatch(data, batch);
          const all = Int32Array.from(batch, (_, k) => k);
          return tf.div(tf.sub(applyParams(x, all, p, o.imageSize, false), data.mean), data.std).dataSync() as Float32Array;
        });
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(got.length).toBe(want.length);
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }

  it('renders gray data on one channel bit for bit even with the colour transforms on (hue, saturation, grayscale)', () => {
    const data = dataset(12, 20, 18, 3, true);
    const batch = Int32Array.from([3, 0, 11, 7, 5, 2, 9, 1]);
    const p = drawParams(batch.length, 20, 18, viewOptions(everything, 2), mulberry32(23));
    expect(p.gray.some((g) => g > 0) && p.order.some((part) => part === 3)).toBe(true);
    const source = { pixels: data.pixels, ...data.shape };
    const oneChannel = renderView({ ...source, gray: true }, batch, p, 16, data);
    expect(oneChannel).toEqual(renderView({ ...source, gray: false }, batch, p, 16, data));
  });

  it('writes into the buffer it is given, and the same draws give the same bytes', () => {
    const data = dataset(6, 10, 10, 3);
    const batch = Int32Array.from([1, 4, 2]);
    const o = viewOptions(everything, 2);
    const p = drawParams(3, 10, 10, o, mulberry32(3));
    const out = new Float32Array(3 * 16 * 16 * 3);
    expect(renderView({ pixels: data.pixels, ...data.shape }, batch, p, 16, data, out)).toBe(out);
    expect(renderView({ pixels: data.pixels, ...data.shape }, batch, p, 16, data)).toEqual(out);
  });
});
