// ColorJitter and RandomGrayscale fused into one pass over the pixels, for the backends whose
// tensors live in CPU memory (WASM, CPU). The tensor version (augment.ts applyParams with color.ts)
// is about 90 elementwise ops per view, each a pass over the batch; on WASM they took 120 of the
// 165 ms of two views at batch 64, 32 px (Node 20, after backend/wasm/copy.ts). Here each pixel goes
// through its sample's jitter parts in its drawn order, with the same formulas as color.ts
// (torchvision's _functional_tensor.py), in one loop. GPU backends keep the tensor version: their
// pixels would have to come back to the CPU.
import * as tf from '@tensorflow/tfjs';

export const COLOR_JITTER = 'VicregColorJitter';

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

type Args = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs?: tf.NamedAttrMap };

function wasmKernel({ inputs: { x }, backend, attrs }: Args): tf.TensorInfo {
  const b = backend as { makeOutput(shape: number[], dtype: string): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  const out = b.makeOutput(x.shape, 'float32');
  const dst = b.typedArrayFromHeap(out); // views after the allocation (the heap may grow)
  dst.set(b.typedArrayFromHeap(x));
  jitterPixels(dst, x.shape[0], x.shape[1] * x.shape[2], attrs as unknown as JitterAttrs);
  return out;
}

function cpuKernel({ inputs: { x }, backend, attrs }: Args): tf.TensorInfo {
  const b = backend as {
    data: { get(id: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  };
  const values = Float32Array.from(b.data.get(x.dataId).values);
  jitterPixels(values, x.shape[0], x.shape[1] * x.shape[2], attrs as unknown as JitterAttrs);
  return b.makeTensorInfo(x.shape, 'float32', values);
}

for (const [backendName, kernelFunc] of [
  ['wasm', wasmKernel],
  ['cpu', cpuKernel],
] as const) {
  if (!tf.getKernel(COLOR_JITTER, backendName))
    tf.registerKernel({ kernelName: COLOR_JITTER, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Whether the active backend runs the fused kernel. */
export const fusedJitter = () => tf.getKernel(COLOR_JITTER, tf.getBackend()) !== undefined;
