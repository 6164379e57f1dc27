// One augmented view of a batch rendered on the CPU from the dataset's bytes, with no TF.js: the
// same transforms and formulas as augment.ts applyParams (tf.image.cropAndResize, color.ts, the
// fused jitter of ./pixels.ts) followed by the normalization, in plain loops. Pure, so a second
// worker can run it (./augment-worker.ts) while the training step runs, and the trainer's own
// thread can run it where there is no such worker: the same bytes either way. Grayscale data
// (every channel equal, which every transform keeps) is rendered on one channel and spread to
// three at the end: a third of the work, the same bytes.
import type { ViewParams } from './augment';
import { blurKernelSize, gaussianTaps, jitterGray, jitterPixels } from './pixels';

/** A dataset's images as uint8 [N, H, W, C], C = 1 (tiled to 3) or 3; `gray`: every pixel has
 *  R = G = B (dataset.ts isGray, or C = 1). */
export interface PixelSource {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
  gray?: boolean;
}

/** byte / 255 as float32, as dataset.ts uploadBatch gives the backend. */
const UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

const clamp01 = (v: number) => (v < 0 ? 0 : Math.min(v, 1));

/** Where cropAndResize samples along one axis: for each output index the two source indices
 *  and the weight of the second (−1: outside, extrapolated to 0). */
function axis(lo: number, hi: number, n: number, S: number, at0: Int32Array, at1: Int32Array, w: Float64Array): void {
  const scale = S > 1 ? ((hi - lo) * (n - 1)) / (S - 1) : 0;
  for (let i = 0; i < S; i++) {
    const v = S > 1 ? lo * (n - 1) + i * scale : 0.5 * (lo + hi) * (n - 1);
    if (v < 0 || v > n - 1) {
      at0[i] = -1;
      continue;
    }
    at0[i] = Math.floor(v);
    at1[i] = Math.ceil(v);
    w[i] = v - at0[i];
  }
}

/** Per-axis sampling tables, reused across images. */
class Tables {
  y0: Int32Array;
  y1: Int32Array;
  yw: Float64Array;
  x0: Int32Array;
  x1: Int32Array;
  xw: Float64Array;
  constructor(S: number) {
    [this.y0, this.y1, this.x0, this.x1] = [0, 1, 2, 3].map(() => new Int32Array(S));
    [this.yw, this.xw] = [new Float64Array(S), new Float64Array(S)];
  }
}

/**
 * tf.image.cropAndResize (bilinear, extrapolation 0; tfjs-backend-cpu cropAndResize) of image
 * `index` with box k of `boxes` ([y1, x1, y2, x2], normalized, corner-aligned), clipped to [0, 1],
 * into out[at ..]: `channels` values a pixel (3, or 1 for grayscale data: channel 0 alone).
 */
function cropResize(
  src: PixelSource,
  index: number,
  boxes: Float32Array,
  k: number,
  S: number,
  channels: 1 | 3,
  out: Float32Array,
  at: number,
  t: Tables,
): void {
  const { pixels, height: H, width: W, channels: C } = src;
  axis(boxes[k], boxes[k + 2], H, S, t.y0, t.y1, t.yw);
  axis(boxes[k + 1], boxes[k + 3], W, S, t.x0, t.x1, t.xw);
  const base = index * H * W * C;
  for (let y = 0; y < S; y++) {
    const top = t.y0[y];
    const row = at + y * S * channels;
    if (top < 0) {
      out.fill(0, row, row + S * channels);
      continue;
    }
    const rt = base + top * W * C;
    const rb = base + t.y1[y] * W * C;
    const yl = t.yw[y];
    for (let x = 0; x < S; x++) {
      const o = row + x * channels;
      const left = t.x0[x];
      if (left < 0) {
        for (let c = 0; c < channels; c++) out[o + c] = 0;
        continue;
      }
      const l = left * C;
      const r = t.x1[x] * C;
      const xl = t.xw[x];
      for (let c = 0; c < channels; c++) {
        const ch = C === 1 ? 0 : c;
        const tl = UNIT[pixels[rt + l + ch]];
        const tr = UNIT[pixels[rt + r + ch]];
        const bl = UNIT[pixels[rb + l + ch]];
        const br = UNIT[pixels[rb + r + ch]];
        const tv = tl + (tr - tl) * xl;
        const bv = bl + (br - bl) * xl;
        out[o + c] = clamp01(Math.fround(tv + (bv - tv) * yl));
      }
    }
  }
}

/** torchvision's gaussian_blur of one image [S, S, channels] in place: separable, reflect
 *  padding, color.ts's kernel size and taps (vertical, then horizontal, as its two convolutions). */
function blur(x: Float32Array, at: number, S: number, channels: number, sigma: number, tmp: Float32Array): void {
  const k = blurKernelSize(S);
  const half = (k - 1) / 2;
  const w = gaussianTaps(sigma, k);
  const reflect = (i: number) => (i < 0 ? -i : i >= S ? 2 * (S - 1) - i : i);
  for (let y = 0; y < S; y++)
    for (let xx = 0; xx < S; xx++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += w[j] * x[at + (reflect(y + j - half) * S + xx) * channels + c];
        tmp[(y * S + xx) * channels + c] = s;
      }
  for (let y = 0; y < S; y++)
    for (let xx = 0; xx < S; xx++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += w[j] * tmp[(y * S + reflect(xx + j - half)) * channels + c];
        x[at + (y * S + xx) * channels + c] = s;
      }
}

/** Solarization of n values from `at` (color.ts solarize: x + (1 − 2x) where x ≥ 0.5). */
function solarize(x: Float32Array, at: number, n: number): void {
  for (let i = at; i < at + n; i++) if (x[i] >= 0.5) x[i] = Math.fround(x[i] + Math.fround(1 - x[i] * 2));
}

/**
 * One view [B, S, S, 3] of the images `batch` (dataset indices), drawn as `p` (augment.ts
 * drawParams), normalized by the dataset's mean and std. Written into `out` when given.
 */
export function renderView(
  src: PixelSource,
  batch: ArrayLike<number>,
  p: ViewParams,
  S: number,
  stats: { mean: ArrayLike<number>; std: ArrayLike<number> },
  out: Float32Array = new Float32Array(batch.length * S * S * 3),
): Float32Array {
  const n = batch.length;
  const channels = src.gray || src.channels === 1 ? 1 : 3;
  const size = S * S * channels;
  // Grayscale renders one channel into a buffer of its own, spread to three when normalized.
  const x = channels === 3 ? out : new Float32Array(n * size);
  const t = new Tables(S);
  for (let b = 0; b < n; b++) cropResize(src, batch[b], p.boxes, 4 * b, S, channels, x, b * size, t);
  if (channels === 3) jitterPixels(x, n, S * S, p);
  else jitterGray(x, n, S * S, p);
  let tmp: Float32Array | null = null;
  for (let b = 0; b < n; b++) {
    if (p.sigma[b] > 0) blur(x, b * size, S, channels, p.sigma[b], (tmp ??= new Float32Array(size)));
    if (p.solarize[b] > 0) solarize(x, b * size, size);
  }
  const [m0, m1, m2] = [stats.mean[0], stats.mean[1], stats.mean[2]].map(Math.fround);
  const [s0, s1, s2] = [stats.std[0], stats.std[1], stats.std[2]].map(Math.fround);
  if (channels === 3) {
    for (let i = 0; i < n * size; i += 3) {
      out[i] = (x[i] - m0) / s0;
      out[i + 1] = (x[i + 1] - m1) / s1;
      out[i + 2] = (x[i + 2] - m2) / s2;
    }
  } else {
    for (let i = 0, o = 0; i < n * size; i++, o += 3) {
      const v = x[i];
      out[o] = (v - m0) / s0;
      out[o + 1] = (v - m1) / s1;
      out[o + 2] = (v - m2) / s2;
    }
  }
  return out;
}
