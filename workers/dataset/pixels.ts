// The colour transforms of one view on plain float32 arrays, for the CPU: ColorJitter and
// RandomGrayscale fused into one pass over the pixels (the formulas of color.ts, torchvision's
// _functional_tensor.py), and GaussianBlur's kernel. No TF.js here: the augmentation worker
// (./augment-worker.ts) renders views with these alone, and jitter.ts wraps them as a kernel for
// the backends whose tensors live in CPU memory.

/** What the kernel applies, per sample b of n: parts order[4b..4b+3] (−1: none), then gray[b]. */
export interface JitterAttrs {
  order: ArrayLike<number>; // [n·4] ColorJitter part at each slot (0 brightness, 1 contrast, 2 saturation, 3 hue)
  factors: ArrayLike<number>; // [4·n] part-major: brightness, contrast, saturation factors, hue shift
  gray: ArrayLike<number>; // [n] 1 = grayscale afterwards
}

const clamp01 = (v: number) => (v < 0 ? 0 : Math.min(v, 1));
const mod = (a: number, b: number) => ((a % b) + b) % b; // floored, as tf.mod
const grayOf = (r: number, g: number, b: number) =>
  Math.fround(Math.fround(Math.fround(0.2989 * r) + Math.fround(0.587 * g)) + Math.fround(0.114 * b));

/** adjust_hue of one pixel, written to px[i..i+2]: color.ts adjustHue's formulas, scalar. */
function hue(px: Float32Array, i: number, shift: number): void {
  // Scalars only (no array destructuring): this runs once per pixel.
  const r = px[i];
  const g = px[i + 1];
  const b = px[i + 2];
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eqc = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eqc ? 1 : maxc);
  const div = eqc ? 1 : cr;
  const rc = (maxc - r) / div;
  const gc = (maxc - g) / div;
  const bc = (maxc - b) / div;
  const isR = maxc === r;
  const isG = maxc === g && !isR;
  const h0 = isR ? bc - gc : isG ? 2 + rc - bc : 4 + gc - rc;
  const h6 = mod(mod(h0 / 6 + 1, 1) + shift, 1) * 6;
  const vs = maxc * s;
  px[i] = maxc - vs * ramp(mod(h6 + 5, 6));
  px[i + 1] = maxc - vs * ramp(mod(h6 + 3, 6));
  px[i + 2] = maxc - vs * ramp(mod(h6 + 1, 6));
}

/** clamp(min(k, 4 − k), 0, 1): the HSV -> RGB closed form's channel weight. */
const ramp = (k: number) => clamp01(Math.min(k, 4 - k));

/** The jitter and grayscale of `attrs` applied to x [n, H, W, 3] in place (float32 values, pure). */
export function jitterPixels(x: Float32Array, n: number, pixels: number, attrs: JitterAttrs): void {
  for (let b = 0; b < n; b++) {
    const start = b * pixels * 3;
    const end = start + pixels * 3;
    for (let slot = 0; slot < 4; slot++) {
      const part = attrs.order[4 * b + slot];
      if (part < 0) break;
      const f = attrs.factors[part * n + b];
      if (part === 3) {
        for (let i = start; i < end; i += 3) hue(x, i, f);
        continue;
      }
      // _blend(x, other, f) = clamp(f·x + (1 − f)·other): other is 0 (brightness), the image's
      // mean gray (contrast) or the pixel's gray (saturation).
      let mean = 0;
      if (part === 1) {
        for (let i = start; i < end; i += 3) mean += grayOf(x[i], x[i + 1], x[i + 2]);
        mean /= pixels;
      }
      for (let i = start; i < end; i += 3) {
        const other = part === 0 ? 0 : part === 1 ? mean : grayOf(x[i], x[i + 1], x[i + 2]);
        for (let c = 0; c < 3; c++) x[i + c] = clamp01(f * x[i + c] + (1 - f) * other);
      }
    }
    if (attrs.gray[b] > 0) {
      for (let i = start; i < end; i += 3) x[i] = x[i + 1] = x[i + 2] = grayOf(x[i], x[i + 1], x[i + 2]);
    }
  }
}

/**
 * jitterPixels for images whose three channels are equal (grayscale data), on one channel x [n,
 * pixels]: every transform keeps R = G = B, so each channel of the three-channel result equals
 * this one, bit for bit (the same float64 formulas, rounded to float32 at the same points). Hue
 * leaves a gray pixel as it is (saturation 0).
 */
export function jitterGray(x: Float32Array, n: number, pixels: number, attrs: JitterAttrs): void {
  for (let b = 0; b < n; b++) {
    const start = b * pixels;
    const end = start + pixels;
    for (let slot = 0; slot < 4; slot++) {
      const part = attrs.order[4 * b + slot];
      if (part < 0) break;
      if (part === 3) continue;
      const f = attrs.factors[part * n + b];
      if (part === 1) {
        let mean = 0;
        for (let i = start; i < end; i++) mean += grayOf(x[i], x[i], x[i]);
        mean /= pixels;
        const other = (1 - f) * mean;
        for (let i = start; i < end; i++) x[i] = clamp01(f * x[i] + other);
      } else if (part === 0) {
        for (let i = start; i < end; i++) x[i] = clamp01(f * x[i] + (1 - f) * 0);
      } else {
        for (let i = start; i < end; i++) x[i] = clamp01(f * x[i] + (1 - f) * grayOf(x[i], x[i], x[i]));
      }
    }
    if (attrs.gray[b] > 0) for (let i = start; i < end; i++) x[i] = grayOf(x[i], x[i], x[i]);
  }
}

/** Odd kernel side about 10% of the image side, at least 3 (BYOL/torchvision GaussianBlur sizing). */
export function blurKernelSize(side: number): number {
  const k = Math.max(3, Math.round(0.1 * side));
  return k % 2 === 1 ? k : k + 1;
}

/** Normalized 1-D Gaussian weights of `size` taps; sigma 0 gives the identity (a delta). */
export function gaussianTaps(sigma: number, size: number): Float32Array {
  const c = (size - 1) / 2;
  const w = new Float32Array(size);
  if (!(sigma > 0)) {
    w[c] = 1;
    return w;
  }
  let sum = 0;
  for (let j = 0; j < size; j++) sum += w[j] = Math.exp(-((j - c) ** 2) / (2 * sigma * sigma));
  for (let j = 0; j < size; j++) w[j] /= sum;
  return w;
}
