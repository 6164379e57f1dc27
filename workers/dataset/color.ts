// Per-sample photometric transforms as batched tensor ops, following torchvision's tensor
// implementations (torchvision/transforms/_functional_tensor.py), which the official VICReg
// augmentations (augmentations.py: ColorJitter, RandomGrayscale, GaussianBlur, Solarization) call.
// Every function takes x [B, H, W, 3] in [0, 1] and per-sample factors f [B] (a Tensor1D); a
// factor at its identity value (1 for brightness, contrast, saturation; 0 for hue; false for masks)
// leaves that sample unchanged, which is how a batch applies a transform to some samples only.
import * as tf from '@tensorflow/tfjs';
import { blurKernelSize, gaussianTaps } from './pixels';

export { blurKernelSize, gaussianTaps };

/** [B] -> [B, 1, 1, 1], to scale whole images. */
const perSample = (f: tf.Tensor1D) => tf.reshape(f, [-1, 1, 1, 1]);

/** rgb_to_grayscale: 0.2989 R + 0.587 G + 0.114 B. [B, H, W, 3] -> [B, H, W, 1]. */
export function grayOf(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([0.2989, 0.587, 0.114])), -1, true) as tf.Tensor4D);
}

/** _blend(img1, img2, ratio) = clamp(ratio · img1 + (1 − ratio) · img2, 0, 1). */
function blend(x: tf.Tensor4D, other: tf.Tensor, ratio: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const r = perSample(ratio);
    return tf.clipByValue(tf.add(tf.mul(r, x), tf.mul(tf.sub(1, r), other)), 0, 1) as tf.Tensor4D;
  });
}

/** adjust_brightness: blend with black. */
export function adjustBrightness(x: tf.Tensor4D, f: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, tf.zerosLike(x), f));
}

/** adjust_contrast: blend with the mean of the image's grayscale, one scalar per image. */
export function adjustContrast(x: tf.Tensor4D, f: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, tf.mean(grayOf(x), [1, 2, 3], true), f));
}

/** adjust_saturation: blend with the image's grayscale. */
export function adjustSaturation(x: tf.Tensor4D, f: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, grayOf(x), f));
}

/** RandomGrayscale with 3 output channels: the grayscale where mask[b] = 1, else x. */
export function grayscale(x: tf.Tensor4D, mask: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const m = perSample(mask);
    return tf.add(tf.mul(m, grayOf(x)), tf.mul(tf.sub(1, m), x)) as tf.Tensor4D;
  });
}

/** Solarization (PIL ImageOps.solarize at 128/255 ≈ 0.5): invert pixels ≥ 0.5 where mask[b] = 1. */
export function solarize(x: tf.Tensor4D, mask: tf.Tensor1D, threshold = 0.5): tf.Tensor4D {
  return tf.tidy(() => {
    // x + on·(1 − 2x) is 1 − x where on = 1: arithmetic rather than a broadcast select, which
    // the WASM backend runs element by element.
    const on = tf.mul(tf.cast(tf.greaterEqual(x, threshold), 'float32'), perSample(mask));
    return tf.add(x, tf.mul(on, tf.sub(1, tf.mul(x, 2)))) as tf.Tensor4D;
  });
}

/**
 * adjust_hue: RGB -> HSV (_rgb2hsv), h ← (h + f) mod 1, HSV -> RGB. f in [−0.5, 0.5].
 */
export function adjustHue(x: tf.Tensor4D, f: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(x, 3, -1); // each [B, H, W, 1]
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const minc = tf.minimum(tf.minimum(r, g), b);
    const eqc = tf.equal(maxc, minc);
    const cr = tf.sub(maxc, minc);
    const ones = tf.onesLike(maxc);
    const s = tf.div(cr, tf.where(eqc, ones, maxc));
    const crDivisor = tf.where(eqc, ones, cr);
    const rc = tf.div(tf.sub(maxc, r), crDivisor);
    const gc = tf.div(tf.sub(maxc, g), crDivisor);
    const bc = tf.div(tf.sub(maxc, b), crDivisor);
    const isR = tf.equal(maxc, r);
    const isG = tf.logicalAnd(tf.equal(maxc, g), tf.logicalNot(isR));
    const isB = tf.logicalNot(tf.logicalOr(isR, tf.equal(maxc, g)));
    const hr = tf.mul(tf.cast(isR, 'float32'), tf.sub(bc, gc));
    const hg = tf.mul(tf.cast(isG, 'float32'), tf.add(2, tf.sub(rc, bc)));
    const hb = tf.mul(tf.cast(isB, 'float32'), tf.add(4, tf.sub(gc, rc)));
    let h = tf.mod(tf.add(tf.div(tf.add(tf.add(hr, hg), hb), 6), 1), 1);
    h = tf.mod(tf.add(h, perSample(f)), 1);
    // HSV -> RGB in the closed form c_n = v − v·s·clamp(min(k, 4 − k), 0, 1), k = (n + 6h) mod 6,
    // n = 5, 3, 1 for R, G, B: the same values as torchvision's six-sector _hsv2rgb, in a few
    // ops on all three channels at once (the sector select took most of the augmentation's time).
    const k = tf.mod(tf.add(tf.mul(h, 6), tf.tensor1d([5, 3, 1])), 6); // [B, H, W, 3]
    const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
    return tf.sub(maxc, tf.mul(tf.mul(maxc, s), ramp)) as tf.Tensor4D;
  });
}

/**
 * Gaussian blur with a per-sample sigma [B] (0 = unblurred), separable, reflect padding as
 * torchvision's gaussian_blur. The batch is folded into channels, [1, H, W, B·3], so one
 * depthwise convolution per direction blurs every sample with its own kernel.
 */
export function gaussianBlur(x: tf.Tensor4D, sigma: Float32Array): tf.Tensor4D {
  const [n, h, w, ch] = x.shape;
  const k = blurKernelSize(Math.min(h, w));
  const half = (k - 1) / 2;
  // taps[j, b·3 + c] = weight j of sample b
  const taps = new Float32Array(k * n * ch);
  for (let b = 0; b < n; b++) {
    const t = gaussianTaps(sigma[b], k);
    for (let j = 0; j < k; j++) for (let c = 0; c < ch; c++) taps[j * n * ch + b * ch + c] = t[j];
  }
  return tf.tidy(() => {
    const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * ch]); // [1, H, W, B·3]
    const padded = tf.mirrorPad(
      folded,
      [
        [0, 0],
        [half, half],
        [half, half],
        [0, 0],
      ],
      'reflect',
    ) as tf.Tensor4D;
    const vertical: tf.Tensor4D = tf.depthwiseConv2d(padded, tf.tensor4d(taps, [k, 1, n * ch, 1]), 1, 'valid');
    const both = tf.depthwiseConv2d(vertical, tf.tensor4d(taps, [1, k, n * ch, 1]), 1, 'valid');
    return tf.transpose(tf.reshape(both, [h, w, n, ch]), [2, 0, 1, 3]) as tf.Tensor4D;
  });
}
