// The augmentation preview: the same drawParams and renderer the trainer uses, on a few training
// images, returned as RGBA bytes (before normalization, so the user sees what the model sees).
import * as tf from '@tensorflow/tfjs';
import type { AugmentPreview } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import { drawParams, viewOptions } from './augment';
import { uploadBatch, type Dataset } from './dataset';
import { mulberry32 } from './random';
import { renderView } from './render';

/** Up to `count` images of `pool` (default: the training split), the first of each class before any second one. */
export function previewIndices(data: Dataset, count: number, pool: ArrayLike<number> = data.train): Int32Array {
  const byClass = new Map<number, number[]>();
  for (const i of Array.from(pool)) {
    const y = data.labels[i];
    if (!byClass.has(y)) byClass.set(y, []);
    byClass.get(y)!.push(i);
  }
  const out: number[] = [];
  for (let round = 0; out.length < count && out.length < pool.length; round++) {
    for (const list of byClass.values()) if (round < list.length && out.length < count) out.push(list[round]);
  }
  return Int32Array.from(out);
}

/** [B, H, W, 3] in [0, 1] -> one RGBA byte array per image. */
async function toRgba(x: tf.Tensor4D): Promise<Uint8ClampedArray[]> {
  const [n, h, w] = x.shape;
  const values = await x.data();
  return Array.from({ length: n }, (_, b) => {
    const rgba = new Uint8ClampedArray(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.round(255 * values[(b * h * w + p) * 3 + c]);
      rgba[4 * p + 3] = 255;
    }
    return rgba;
  });
}

export async function previewAugment(data: Dataset, config: TrainConfig, count: number, draw: number): Promise<AugmentPreview> {
  const idx = previewIndices(data, count);
  const { height: h, width: w, channels } = data.shape;
  // Its own generator (seed and draw), so the preview never moves the training run's stream.
  const rand = mulberry32((config.seed * 1_000_003 + draw * 7919) >>> 0);
  const p1 = drawParams(idx.length, h, w, viewOptions(config, 1, data.summary), rand);
  const p2 = drawParams(idx.length, h, w, viewOptions(config, 2, data.summary), rand);
  // The renderer the trainer's views come from (./render.ts), before normalization.
  const source = { pixels: data.pixels, height: h, width: w, channels, gray: data.summary.grayscale };
  const unit = { mean: [0, 0, 0], std: [1, 1, 1] };
  const shape: [number, number, number, number] = [idx.length, config.imageSize, config.imageSize, 3];
  const [original, view1, view2] = tf.tidy(() => [
    uploadBatch(data, idx),
    tf.tensor4d(renderView(source, idx, p1, config.imageSize, unit), shape),
    tf.tensor4d(renderView(source, idx, p2, config.imageSize, unit), shape),
  ]);
  try {
    const [o, v1, v2] = await Promise.all([toRgba(original), toRgba(view1), toRgba(view2)]);
    const names = data.summary.classes.map((k) => k.name);
    return {
      size: config.imageSize,
      height: h,
      width: w,
      items: Array.from(idx, (i, k) => ({ label: names[data.labels[i]] ?? '', original: o[k], view1: v1[k], view2: v2[k] })),
    };
  } finally {
    tf.dispose([original, view1, view2]);
  }
}

/** The images `indices` as RGBA, scaled down (bilinear) to at most `maxSide` pixels a side. */
export async function rgbaImages(
  data: Dataset,
  indices: ArrayLike<number>,
  maxSide: number,
): Promise<{ size: number; images: Uint8ClampedArray[] }> {
  const size = Math.min(maxSide, data.shape.height);
  if (indices.length === 0) return { size, images: [] };
  const x = tf.tidy(() => {
    const raw = uploadBatch(data, indices);
    return size === data.shape.height && size === data.shape.width
      ? raw
      : (tf.clipByValue(tf.image.resizeBilinear(raw, [size, size]), 0, 1) as tf.Tensor4D);
  });
  try {
    return { size, images: await toRgba(x) };
  } finally {
    x.dispose();
  }
}

/** Up to `count` images of the whole dataset (one per class first) as RGBA at their stored size. */
export async function thumbnails(data: Dataset, count: number): Promise<{ size: number; images: Uint8ClampedArray[] }> {
  const all = Int32Array.from({ length: data.shape.count }, (_, i) => i);
  const x = uploadBatch(data, previewIndices(data, count, all));
  try {
    return { size: data.shape.height, images: await toRgba(x) };
  } finally {
    x.dispose();
  }
}
