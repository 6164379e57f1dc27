// Two-view augmentation, the official recipe (facebookresearch/vicreg augmentations.py,
// TrainTransform): RandomResizedCrop, horizontal flip, ColorJitter (p 0.8, its four parts in random
// order), RandomGrayscale (p 0.2), GaussianBlur (p 1.0 / 0.1), Solarization (p 0.0 / 0.2),
// Normalize. Random parameters are drawn on the CPU from the one seeded generator (a few numbers
// per image, drawParams). Training renders them on the CPU in the augmentation worker
// (./render.ts, ./views.ts); applyParams here is the same as batched tensor ops on the active
// backend, the reference the renderer is tested against and the route of the fine-tuning baseline.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, gaussianBlur, grayscale, solarize } from './color';
import { COLOR_JITTER, fusedJitter } from './jitter';
import { colourForData } from './rules';

/** The settings of one view (TrainConfig's Augment group with view 1's or view 2's probabilities). */
export interface AugmentOptions {
  imageSize: number;
  cropScaleMin: number;
  cropScaleMax?: number;
  ratioMin?: number;
  ratioMax?: number;
  flipProb?: number;
  jitterProb?: number;
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
  grayscaleProb?: number;
  blurProb?: number;
  blurSigmaMin?: number;
  blurSigmaMax?: number;
  solarizeProb?: number;
}

/** View 1 or view 2 of the official recipe from a config (they differ in blur and solarization),
 *  less the colour transforms that cannot act on `data` (./rules.ts). */
export function viewOptions(config: TrainConfig, view: 1 | 2, data: { grayscale: boolean } = { grayscale: false }): AugmentOptions {
  const c = colourForData(config, data).config;
  return {
    imageSize: c.imageSize,
    cropScaleMin: c.cropScaleMin,
    cropScaleMax: c.cropScaleMax,
    ratioMin: c.ratioMin,
    ratioMax: c.ratioMax,
    flipProb: c.flipProb,
    jitterProb: c.jitterProb,
    brightness: c.brightness,
    contrast: c.contrast,
    saturation: c.saturation,
    hue: c.hue,
    grayscaleProb: c.grayscaleProb,
    blurSigmaMin: c.blurSigmaMin,
    blurSigmaMax: c.blurSigmaMax,
    blurProb: view === 1 ? c.blurProb1 : c.blurProb2,
    solarizeProb: view === 1 ? c.solarizeProb1 : c.solarizeProb2,
  };
}

/**
 * torchvision RandomResizedCrop.get_params: up to 10 tries of area ~ U(scale) · HW and log-uniform
 * aspect ratio; otherwise a centre crop at the clamped ratio. Returns a normalized
 * [y1, x1, y2, x2] box for tf.image.cropAndResize; x1 > x2 flips the crop horizontally.
 */
export function cropBox(h: number, w: number, o: AugmentOptions, rand: () => number): [number, number, number, number] {
  const [sMin, sMax] = [o.cropScaleMin, o.cropScaleMax ?? 1];
  const [rMin, rMax] = [o.ratioMin ?? 3 / 4, o.ratioMax ?? 4 / 3];
  let ch = h,
    cw = w,
    top = 0,
    left = 0,
    found = false;
  for (let i = 0; i < 10 && !found; i++) {
    const area = h * w * (sMin + (sMax - sMin) * rand());
    const ratio = Math.exp(Math.log(rMin) + (Math.log(rMax) - Math.log(rMin)) * rand());
    const cwTry = Math.round(Math.sqrt(area * ratio));
    const chTry = Math.round(Math.sqrt(area / ratio));
    if (cwTry > 0 && chTry > 0 && cwTry <= w && chTry <= h) {
      [cw, ch] = [cwTry, chTry];
      top = Math.floor(rand() * (h - ch + 1));
      left = Math.floor(rand() * (w - cw + 1));
      found = true;
    }
  }
  if (!found) {
    const ratio = w / h;
    if (ratio < rMin) [cw, ch] = [w, Math.round(w / rMin)];
    else if (ratio > rMax) [ch, cw] = [h, Math.round(h * rMax)];
    else [cw, ch] = [w, h];
    top = Math.floor((h - ch) / 2);
    left = Math.floor((w - cw) / 2);
  }
  // cropAndResize maps a normalized coordinate c to pixel c·(size − 1).
  const y1 = top / Math.max(h - 1, 1),
    y2 = (top + ch - 1) / Math.max(h - 1, 1);
  let x1 = left / Math.max(w - 1, 1),
    x2 = (left + cw - 1) / Math.max(w - 1, 1);
  if (rand() < (o.flipProb ?? 0.5)) [x1, x2] = [x2, x1];
  return [y1, x1, y2, x2];
}

/** ColorJitter parts in torchvision's fn_idx numbering. */
const JITTER = ['brightness', 'contrast', 'saturation', 'hue'] as const;

/** Every random choice for one view of a batch, drawn per sample in a fixed order. */
export interface ViewParams {
  boxes: Float32Array; // [B·4] cropAndResize boxes, x1 > x2 = flipped
  order: Int8Array; // [B·4] jitter part applied at slot k of sample b (−1: no jitter)
  factors: Float32Array; // [4·B] brightness, contrast, saturation factors (identity 1) and hue shift (identity 0)
  gray: Float32Array; // [B] 1 = grayscale
  sigma: Float32Array; // [B] blur sigma, 0 = no blur
  solarize: Float32Array; // [B] 1 = solarize
}

const uniform = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand();

/** Draws a view's parameters for `count` images of h × w (torchvision's get_params, per sample). */
export function drawParams(count: number, h: number, w: number, o: AugmentOptions, rand: () => number): ViewParams {
  const p: ViewParams = {
    boxes: new Float32Array(count * 4),
    order: new Int8Array(count * 4).fill(-1),
    factors: new Float32Array(4 * count),
    gray: new Float32Array(count),
    sigma: new Float32Array(count),
    solarize: new Float32Array(count),
  };
  const strength = [o.brightness ?? 0.4, o.contrast ?? 0.4, o.saturation ?? 0.2];
  for (let b = 0; b < count; b++) {
    p.boxes.set(cropBox(h, w, o, rand), 4 * b);
    for (let j = 0; j < 3; j++) p.factors[j * count + b] = 1;
    if (rand() < (o.jitterProb ?? 0.8)) {
      // torch.randperm(4) by Fisher–Yates, then each factor ~ U(1 − s, 1 + s), hue ~ U(−h, h).
      const perm = [0, 1, 2, 3];
      for (let i = 3; i > 0; i--) {
        const k = Math.floor(rand() * (i + 1));
        [perm[i], perm[k]] = [perm[k], perm[i]];
      }
      p.order.set(perm, 4 * b);
      for (let j = 0; j < 3; j++) p.factors[j * count + b] = uniform(rand, Math.max(0, 1 - strength[j]), 1 + strength[j]);
      p.factors[3 * count + b] = uniform(rand, -(o.hue ?? 0.1), o.hue ?? 0.1);
    }
    p.gray[b] = rand() < (o.grayscaleProb ?? 0.2) ? 1 : 0;
    p.sigma[b] = rand() < (o.blurProb ?? 0) ? uniform(rand, o.blurSigmaMin ?? 0.1, o.blurSigmaMax ?? 2) : 0;
    p.solarize[b] = rand() < (o.solarizeProb ?? 0) ? 1 : 0;
  }
  return p;
}

/**
 * Applies drawn parameters to images [N, H, W, 3] in [0, 1] (batch: indices into it), giving the
 * view [B, S, S, 3] in [0, 1], before normalization. `fused` (WASM and CPU by default) runs the
 * jitter and grayscale as one kernel over the pixels, otherwise as batched tensor ops.
 */
export function applyParams(images: tf.Tensor4D, batch: Int32Array, p: ViewParams, imageSize: number, fused = fusedJitter()): tf.Tensor4D {
  const n = batch.length;
  return tf.tidy(() => {
    let x = tf.image.cropAndResize(images, tf.tensor2d(p.boxes, [n, 4]), tf.tensor1d(batch, 'int32'), [imageSize, imageSize]);
    x = tf.clipByValue(x, 0, 1); // bilinear resampling stays in range; clip guards rounding only
    if (fused) {
      // WASM and CPU: jitter and grayscale in one pass over the pixels (jitter.ts), same formulas.
      x = tf
        .engine()
        .runKernel(
          COLOR_JITTER,
          { x },
          { order: Array.from(p.order), factors: Array.from(p.factors), gray: Array.from(p.gray) },
        ) as tf.Tensor4D;
    } else {
      x = jitterAndGray(x, p);
    }
    if (p.sigma.some((s) => s > 0)) x = gaussianBlur(x, p.sigma);
    if (p.solarize.some((s) => s > 0)) x = solarize(x, tf.tensor1d(p.solarize));
    return x;
  });
}

/**
 * ColorJitter in each sample's order, then RandomGrayscale, as batched tensor ops (GPU backends).
 * Jitter runs in four slots; at slot k each part applies to the samples whose drawn order puts it
 * at k (the others get its identity), which is torchvision's per-image random order, batched.
 */
function jitterAndGray(input: tf.Tensor4D, p: ViewParams): tf.Tensor4D {
  const n = input.shape[0];
  let x = input;
  for (let slot = 0; slot < 4; slot++) {
    for (let part = 0; part < 4; part++) {
      const members: number[] = [];
      for (let b = 0; b < n; b++) if (p.order[4 * b + slot] === part) members.push(b);
      if (members.length === 0) continue;
      if (JITTER[part] !== 'hue') {
        // The blends cost less than moving samples around: run on the whole batch, with the
        // identity factor (1) for the samples that do not take this part at this slot.
        const f = new Float32Array(n).fill(1);
        for (const b of members) f[b] = p.factors[part * n + b];
        const ft = tf.tensor1d(f);
        x =
          JITTER[part] === 'brightness'
            ? adjustBrightness(x, ft)
            : JITTER[part] === 'contrast'
              ? adjustContrast(x, ft)
              : adjustSaturation(x, ft);
        continue;
      }
      // Hue (two colour-space conversions) runs on its members only, gathered and put back:
      // row b of [x; shifted] for a non-member, row n + j for the j-th member.
      const shifted = adjustHue(tf.gather(x, members) as tf.Tensor4D, tf.tensor1d(members.map((b) => p.factors[part * n + b])));
      const take = Int32Array.from({ length: n }, (_, b) => b);
      members.forEach((b, j) => (take[b] = n + j));
      x = tf.gather(tf.concat([x, shifted]), take) as tf.Tensor4D;
    }
  }
  if (p.gray.some((g) => g > 0)) x = grayscale(x, tf.tensor1d(p.gray));
  return x;
}

/**
 * images: [N, H, W, 3] in [0, 1]; batch: indices into it. Returns one augmented, normalized view
 * [B, S, S, 3]. Call once per view with that view's options; each call draws its own parameters.
 */
export function augmentView(
  images: tf.Tensor4D,
  batch: Int32Array,
  o: AugmentOptions,
  stats: { mean: number[]; std: number[] },
  rand: () => number,
): tf.Tensor4D {
  const [, h, w] = images.shape;
  const params = drawParams(batch.length, h, w, o, rand);
  return tf.tidy(() => tf.div(tf.sub(applyParams(images, batch, params, o.imageSize), stats.mean), stats.std) as tf.Tensor4D);
}
