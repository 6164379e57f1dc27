// Datasets for scripts that train in Node (no browser, no decoding): the built-in sample, a slice
// of Fashion-MNIST's training file (what tools/fashion-folder.ts writes as PNG folders), and any
// folder in the sample's format (a JSON description, uint8 pixels, uint8 labels), such as
// tools/emoji-dataset.py writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { fromPixels, type Dataset } from '../workers/dataset/dataset';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist'; // apt-get install dataset-fashion-mnist
export const FASHION_CLASSES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

interface U8Meta {
  name: string;
  source: string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  classes: string[];
  pixels: string;
  labels: string;
}

/** A dataset in the sample's format: `<dir>/<json>` names its pixel and label files beside it. */
export function loadU8(dir: string, json: string, split: { testFraction: number; seed: number }, id = `${dir}/${json}`): Dataset {
  const meta = JSON.parse(readFileSync(join(dir, json), 'utf8')) as U8Meta;
  const pixels = new Uint8Array(readFileSync(join(dir, meta.pixels)));
  const labels = Int32Array.from(readFileSync(join(dir, meta.labels)));
  return fromPixels(
    pixels,
    { count: meta.count, height: meta.height, width: meta.width, channels: meta.channels ?? 1 },
    labels,
    meta.classes,
    {
      id,
      name: meta.name,
      source: meta.source,
      ...split,
    },
  );
}

/**
 * The built-in sample (public/sample, tools/make-sample.mjs): Fashion-MNIST's test file, first 200
 * images per class, under the id the studio gives it (workers/dataset/dataset.ts loadSample, which
 * fetches the same files over HTTP; Node's fetch reads no file: URLs, hence this reader).
 */
export function loadSample(split: { testFraction: number; seed: number }): Dataset {
  return loadU8(fileURLToPath(new URL('../public/sample/', import.meta.url)), 'fashion-mnist-2k.json', split, 'sample:fashion-mnist-2k');
}

/** Images [from, from + count) of Fashion-MNIST's training file, as tools/fashion-folder.ts writes them. */
export function loadFashionTrain(from: number, count: number, split: { testFraction: number; seed: number }, dir = FASHION_DIR): Dataset {
  const images = gunzipSync(readFileSync(join(dir, 'train-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(dir, 'train-labels-idx1-ubyte.gz')));
  const [rows, cols] = [images.readUInt32BE(8), images.readUInt32BE(12)];
  const n = Math.min(count, labels.readUInt32BE(4) - from);
  const px = images.subarray(16 + from * rows * cols, 16 + (from + n) * rows * cols);
  return fromPixels(
    new Uint8Array(px),
    { count: n, height: rows, width: cols, channels: 1 },
    Int32Array.from(labels.subarray(8 + from, 8 + from + n)),
    FASHION_CLASSES,
    {
      id: `fashion-train:${from}:${n}`,
      name: `Fashion-MNIST train ${from}–${from + n - 1}`,
      source: 'Fashion-MNIST training file (Zalando SE, MIT licence)',
      ...split,
    },
  );
}

/** "sample", "fashion:<from>:<count>" or "u8:<dir>/<file>.json". */
export function loadNamed(spec: string, split: { testFraction: number; seed: number }): Dataset {
  if (spec === 'sample') return loadSample(split);
  const [kind, a, b] = spec.split(':');
  if (kind === 'fashion') return loadFashionTrain(Number(a), Number(b), split);
  if (kind === 'u8') {
    const at = a.lastIndexOf('/');
    return loadU8(a.slice(0, at), a.slice(at + 1), split);
  }
  throw new Error(`unknown dataset "${spec}": expected sample, fashion:<from>:<count> or u8:<dir>/<file>.json`);
}
