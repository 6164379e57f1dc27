// Writes Fashion-MNIST as a folder of PNG files, one subfolder per class, for ingest checks and
// the learning protocol (bench/protocol.ts); images [from, from + count) of the training file:
//   npx tsx tools/fashion-folder.ts /tmp/fashion10k 10000
//   npx tsx tools/fashion-folder.ts /tmp/fashion-b 3000 3000      (images 3000..5999)
// Source: `apt-get install dataset-fashion-mnist` (Zalando SE, MIT licence).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { png } from '../test/png';

const [out = '/tmp/fashion-folder', countArg = '10000', fromArg = '0', src = '/usr/share/datasets/fashion-mnist'] = process.argv.slice(2);
const classes = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const images = gunzipSync(readFileSync(join(src, 'train-images-idx3-ubyte.gz')));
const labels = gunzipSync(readFileSync(join(src, 'train-labels-idx1-ubyte.gz')));
const [rows, cols] = [images.readUInt32BE(8), images.readUInt32BE(12)];

const from = Number(fromArg);
const count = Math.min(Number(countArg), labels.readUInt32BE(4) - from);
for (const c of classes) mkdirSync(join(out, c), { recursive: true });
for (let i = from; i < from + count; i++) {
  const px = images.subarray(16 + i * rows * cols, 16 + (i + 1) * rows * cols);
  writeFileSync(join(out, classes[labels[8 + i]], `${String(i).padStart(5, '0')}.png`), png(px, cols, rows));
}
console.log(
  `wrote ${count} PNG files (images ${from}..${from + count - 1}) (${rows}x${cols}) in ${classes.length} class folders under ${out}`,
);
