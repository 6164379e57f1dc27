// Builds public/sample/: a stratified 2,000-image subset of Fashion-MNIST (the first 200 test
// images of each class), shipped with the studio so a first visit needs no upload.
// Source: `apt-get install dataset-fashion-mnist` (Zalando SE, MIT/Expat licence).
// Usage: node tools/make-sample.mjs [/usr/share/datasets/fashion-mnist]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const perClass = 200;
const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const images = gunzipSync(readFileSync(join(src, 't10k-images-idx3-ubyte.gz')));
const labels = gunzipSync(readFileSync(join(src, 't10k-labels-idx1-ubyte.gz')));
// idx3 header: magic, count, rows, cols (big-endian u32); idx1 header: magic, count.
const [rows, cols] = [images.readUInt32BE(8), images.readUInt32BE(12)];
const pixels = rows * cols;
const taken = new Array(classes.length).fill(0);
const outPixels = [];
const outLabels = [];
for (let i = 0; i < labels.readUInt32BE(4) && outLabels.length < perClass * classes.length; i++) {
  const y = labels[8 + i];
  if (taken[y] >= perClass) continue;
  taken[y]++;
  outLabels.push(y);
  outPixels.push(images.subarray(16 + i * pixels, 16 + (i + 1) * pixels));
}
const out = 'public/sample';
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fashion-mnist-2k.u8'), Buffer.concat(outPixels));
writeFileSync(join(out, 'fashion-mnist-2k.labels.u8'), Buffer.from(outLabels));
writeFileSync(
  join(out, 'fashion-mnist-2k.json'),
  `${JSON.stringify(
    {
      name: 'Fashion-MNIST sample (2,000 images)',
      source: 'Fashion-MNIST test set, first 200 images per class; Zalando SE, MIT licence',
      count: outLabels.length,
      height: rows,
      width: cols,
      channels: 1,
      classes,
      pixels: 'fashion-mnist-2k.u8',
      labels: 'fashion-mnist-2k.labels.u8',
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${outLabels.length} images (${rows}x${cols}) to ${out}`);
