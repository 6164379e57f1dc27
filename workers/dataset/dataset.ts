// A dataset: its images as uint8 bytes in worker memory ([N, H, W, C], C = 1 or 3), labels, the
// train/test split and the per-channel statistics used for normalization. Only the images of a
// batch go to the device (uploadBatch), so the dataset's size is bounded by main memory at one
// byte per value, not by device memory at four.
import * as tf from '@tensorflow/tfjs';
import type { DatasetSummary } from '../contract/api';
import { stratifiedSplit } from './split';

export interface Dataset {
  summary: DatasetSummary;
  pixels: Uint8Array; // [N, H, W, C]
  shape: { count: number; height: number; width: number; channels: 1 | 3 };
  labels: Int32Array;
  train: Int32Array;
  test: Int32Array;
  mean: [number, number, number];
  std: [number, number, number];
  paths?: string[]; // each image's path in its folder, when known (exports name images by it)
}

/**
 * Builds a Dataset from raw uint8 pixels [N, H, W, C] with C = 1 (grayscale, tiled to 3) or 3.
 * No class names means unlabeled: every image trains and there is no test split.
 */
export function fromPixels(
  pixels: Uint8Array,
  shape: { count: number; height: number; width: number; channels: 1 | 3 },
  labels: Int32Array,
  classNames: string[],
  meta: { id: string; name: string; source: string; testFraction: number; seed: number },
  extra: Partial<Pick<DatasetSummary, 'skipped' | 'sizeRange' | 'storedBytes' | 'notStored' | 'duplicates'>> = {},
): Dataset {
  const { count, height, width, channels } = shape;
  if (pixels.length !== count * height * width * channels) {
    throw new Error(
      `expected ${count}×${height}×${width}×${channels} = ${count * height * width * channels} bytes of pixels, got ${pixels.length}`,
    );
  }
  // Channel statistics straight from the bytes: no readback from the backend needed. Grayscale
  // is tiled to 3 channels, so its one statistic serves all three.
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i] / 255;
    sum[i % channels] += v;
    sumSq[i % channels] += v * v;
  }
  const n = count * height * width;
  const channel = (k: number) => (channels === 1 ? 0 : k);
  const mean = [0, 1, 2].map((k) => sum[channel(k)] / n) as [number, number, number];
  const std = [0, 1, 2].map((k) => Math.sqrt(Math.max(sumSq[channel(k)] / n - mean[k] ** 2, 1e-12))) as [number, number, number];
  const unlabeled = classNames.length === 0;
  const grayscale = channels === 1 || isGray(pixels);
  const split = unlabeled
    ? { train: Int32Array.from({ length: count }, (_, i) => i), test: new Int32Array(0) }
    : stratifiedSplit(labels, meta.testFraction, meta.seed);
  const counts = classNames.map(() => 0);
  labels.forEach((y) => counts[y]++);
  return {
    summary: {
      id: meta.id,
      name: meta.name,
      source: meta.source,
      count,
      height,
      width,
      classes: classNames.map((name, i) => ({ name, count: counts[i] })),
      unlabeled,
      grayscale,
      trainCount: split.train.length,
      testCount: split.test.length,
      skipped: [],
      ...extra,
    },
    pixels,
    shape: { count, height, width, channels }, // not the caller's object, which may hold more (the sample's meta)
    labels,
    train: split.train,
    test: split.test,
    mean,
    std,
  };
}

/** Whether every pixel of interleaved RGB bytes has R = G = B (a grayscale folder stored as RGB). */
export function isGray(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}

/** The images `indices` as a float32 tensor [B, H, W, 3] in [0, 1] on the active backend. */
export function uploadBatch(data: Dataset, indices: ArrayLike<number>): tf.Tensor4D {
  const { height, width, channels } = data.shape;
  const size = height * width * channels;
  const out = new Float32Array(indices.length * size);
  for (let b = 0; b < indices.length; b++) {
    const from = indices[b] * size;
    for (let k = 0; k < size; k++) out[b * size + k] = data.pixels[from + k] / 255;
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(out, [indices.length, height, width, channels]);
    return channels === 1 ? tf.tile(x, [1, 1, 1, 3]) : x;
  });
}

interface SampleMeta {
  name: string;
  source: string;
  count: number;
  height: number;
  width: number;
  channels: 1;
  classes: string[];
  pixels: string;
  labels: string;
}

/** The built-in Fashion-MNIST sample shipped in public/sample (tools/make-sample.mjs). */
export async function loadSample(baseUrl: string, testFraction: number, seed: number): Promise<Dataset> {
  const get = async (file: string) => {
    const res = await fetch(new URL(`sample/${file}`, baseUrl));
    if (!res.ok) throw new Error(`could not load the sample dataset: ${file} answered HTTP ${res.status}`);
    return res;
  };
  const meta = (await (await get('fashion-mnist-2k.json')).json()) as SampleMeta;
  const [pixels, labels] = await Promise.all([
    get(meta.pixels).then((r) => r.arrayBuffer()),
    get(meta.labels).then((r) => r.arrayBuffer()),
  ]);
  const px = new Uint8Array(pixels);
  if (px.length !== meta.count * meta.height * meta.width) {
    throw new Error(`sample dataset is damaged: ${px.length} bytes of pixels, expected ${meta.count * meta.height * meta.width}`);
  }
  return fromPixels(px, meta, Int32Array.from(new Uint8Array(labels)), meta.classes, {
    id: 'sample:fashion-mnist-2k',
    name: meta.name,
    source: meta.source,
    testFraction,
    seed,
  });
}

/** Draws the split again (seed or testFraction changed); the images stay. */
/** The same images under new labels (class `classNames[labels[i]]` each), split again. */
export function relabel(d: Dataset, labels: Int32Array, classNames: string[], testFraction: number, seed: number): Dataset {
  if (labels.length !== d.shape.count) throw new Error(`${labels.length} labels for ${d.shape.count} images`);
  const { skipped, sizeRange, storedBytes, notStored } = d.summary;
  const source = d.summary.unlabeled ? `${d.summary.source}, labelled here` : d.summary.source;
  return {
    ...fromPixels(
      d.pixels,
      d.shape,
      labels,
      classNames,
      { ...d.summary, source, testFraction, seed },
      { skipped, sizeRange, storedBytes, notStored },
    ),
    paths: d.paths,
  };
}

/** Image i's name in exports and lists: its path in the folder, else "image-i". */
export const imageName = (d: Pick<Dataset, 'paths'>, i: number): string => d.paths?.[i] ?? `image-${i}`;

export function resplit(d: Dataset, testFraction: number, seed: number): Dataset {
  const names = d.summary.unlabeled ? [] : d.summary.classes.map((c) => c.name);
  const { skipped, sizeRange, storedBytes, notStored, duplicates } = d.summary;
  return {
    ...fromPixels(
      d.pixels,
      d.shape,
      d.labels,
      names,
      { ...d.summary, testFraction, seed },
      { skipped, sizeRange, storedBytes, notStored, duplicates },
    ),
    paths: d.paths,
  };
}
