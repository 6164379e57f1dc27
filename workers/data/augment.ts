// Two-view augmentation as batched tensor ops on the active backend. Random parameters are drawn
// on the CPU from the seeded generator (a few numbers per image) and uploaded; pixels never leave
// the device. This covers RandomResizedCrop and horizontal flip of the official recipe
// (main_vicreg.py / augmentations.py); color jitter, grayscale, blur and solarization follow.
import * as tf from '@tensorflow/tfjs';

export interface AugmentOptions {
  imageSize: number;
  cropScaleMin: number;
  cropScaleMax?: number;
  ratioMin?: number;
  ratioMax?: number;
  flipProb?: number;
}

/**
 * torchvision RandomResizedCrop.get_params: up to 10 tries of area ~ U(scale) · HW and log-uniform
 * aspect ratio; otherwise a centre crop at the clamped ratio. Returns a normalized
 * [y1, x1, y2, x2] box for tf.image.cropAndResize; x1 > x2 flips the crop horizontally.
 */
export function cropBox(h: number, w: number, o: AugmentOptions, rand: () => number): [number, number, number, number] {
  const [sMin, sMax] = [o.cropScaleMin, o.cropScaleMax ?? 1];
  const [rMin, rMax] = [o.ratioMin ?? 3 / 4, o.ratioMax ?? 4 / 3];
  let ch = h, cw = w, top = 0, left = 0, found = false;
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
  const y1 = top / Math.max(h - 1, 1), y2 = (top + ch - 1) / Math.max(h - 1, 1);
  let x1 = left / Math.max(w - 1, 1), x2 = (left + cw - 1) / Math.max(w - 1, 1);
  if (rand() < (o.flipProb ?? 0.5)) [x1, x2] = [x2, x1];
  return [y1, x1, y2, x2];
}

/**
 * images: [N, H, W, 3] in [0, 1]; batch: indices into it. Returns one augmented, normalized view
 * [B, S, S, 3]. Call twice for the two views; each call draws its own parameters.
 */
export function augmentView(
  images: tf.Tensor4D,
  batch: Int32Array,
  o: AugmentOptions,
  stats: { mean: number[]; std: number[] },
  rand: () => number,
): tf.Tensor4D {
  const [, h, w] = images.shape;
  const boxes = new Float32Array(batch.length * 4);
  for (let b = 0; b < batch.length; b++) boxes.set(cropBox(h, w, o, rand), 4 * b);
  return tf.tidy(() => {
    const crops = tf.image.cropAndResize(images, tf.tensor2d(boxes, [batch.length, 4]), tf.tensor1d(batch, 'int32'), [o.imageSize, o.imageSize]);
    return tf.div(tf.sub(crops, stats.mean), stats.std) as tf.Tensor4D;
  });
}
