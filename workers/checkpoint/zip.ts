// Files that leave the studio, as zips (fflate): the full checkpoint, which any copy of the studio
// can import and resume, and the weights export for use elsewhere (TF.js layers format).
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { MAX_IMPORT_BYTES, type KnnBaselines, type KnnRecord, type MetricRecord } from '../contract/api';

export { MAX_IMPORT_BYTES };
import { APP_VERSION } from '../contract/version';
import { crc32 } from './crc32';
import { wilson } from '../eval/intervals';
import { csvLine } from './csv';
import { probesFromJson, probesToJson, type StoredProbes } from './probe-store';

export { crc32 };
import { validateRecord, valuesMismatch, type Checkpoint, type CheckpointMeta } from './record';
import { errorMessage } from '../contract/errors';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'tensors.bin';

/** A file name from a run name and step: letters, digits, dot, dash. */
export function fileStem(runName: string, step: number): string {
  return `${runName.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}-step${step}`;
}

/** The linear-probe heads kept with a checkpoint (./probe-store.ts), in its exports. */
export const PROBES_JSON = 'probe-heads.json';

/** probe-heads.json where there are heads to carry. */
const probeFiles = (probes: StoredProbes | null): Zippable =>
  probes && Object.keys(probes.heads).length ? { [PROBES_JSON]: strToU8(probesToJson(probes)) } : {};

/** checkpoint.json + tensors.bin (float32, little-endian, in the record's order), and the probe
 *  heads kept with it where there are any. */
export function checkpointZip(c: Checkpoint, probes: StoredProbes | null = null): Uint8Array {
  const bin = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  // Already dense float noise: storing is as small as deflating and much faster.
  return zipSync({
    [CHECKPOINT_JSON]: strToU8(JSON.stringify(c.meta, null, 1)),
    [CHECKPOINT_BIN]: [bin, { level: 0 }],
    ...probeFiles(probes),
  });
}

/** The probe heads an exported checkpoint carries, or null; a damaged or oversized file is refused. */
export function readProbesZip(bytes: Uint8Array): StoredProbes | null {
  const entry = zipEntries(bytes).get(PROBES_JSON);
  if (!entry) return null;
  if (entry.originalSize > MAX_RECORD_BYTES) throw new Error(`${PROBES_JSON} declares ${mb(entry.originalSize)}: the file is damaged`);
  return probesFromJson(strFromU8(inflate(bytes, PROBES_JSON, entry)));
}

/** checkpoint.json is the record without tensors: its history is capped at 2,000 records (~1 MB). */
export const MAX_RECORD_BYTES = 32 << 20;

export interface ZipEntry {
  crc: number;
  size: number;
  originalSize: number;
}

/**
 * The central directory of a zip (PKWARE APPNOTE.TXT 4.3.12 and 4.3.16): each file's CRC-32 and
 * compressed and declared sizes, read without inflating anything, so that a declared size can be
 * checked before memory is spent on it. Throws on anything that is not a whole zip.
 */
export function zipEntries(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22; // the end-of-central-directory record, after any comment (< 64 KiB)
  while (end >= 0 && end >= bytes.length - 22 - 0xffff && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0 || end < bytes.length - 22 - 0xffff) throw new Error('no end of central directory');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries = new Map<string, ZipEntry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new Error('a central directory entry is damaged');
    const nameLength = view.getUint16(at + 28, true);
    const name = strFromU8(bytes.subarray(at + 46, at + 46 + nameLength));
    entries.set(name, {
      crc: view.getUint32(at + 16, true),
      size: view.getUint32(at + 20, true),
      originalSize: view.getUint32(at + 24, true),
    });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

/** A record nests 4 levels (meta → model → entry → shape); anything far deeper is refused unparsed. */
export const MAX_RECORD_DEPTH = 16;

/** How deeply `json`'s arrays and objects nest, counted without parsing (strings skipped). */
export function jsonDepth(json: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * The inverse of checkpointZip; throws, naming what is wrong, for anything that is not one. Sizes
 * are checked before anything is inflated: the file against MAX_IMPORT_BYTES, checkpoint.json
 * against MAX_RECORD_BYTES, and tensors.bin against the record's value count, after `check` has
 * had the record (so a caller can refuse a record before its tensors are inflated). Each inflated
 * file must match its CRC-32; the record must pass its schema (record.ts validateRecord).
 */
export function readCheckpointZip(bytes: Uint8Array, check?: (meta: CheckpointMeta) => void): Checkpoint {
  if (bytes.byteLength > MAX_IMPORT_BYTES) {
    throw new Error(
      `the file is ${mb(bytes.byteLength)}, more than the ${mb(MAX_IMPORT_BYTES)} a checkpoint of the largest recipe needs: it is not a VICReg Studio checkpoint`,
    );
  }
  let entries: Map<string, ZipEntry>;
  try {
    entries = zipEntries(bytes);
  } catch (e) {
    throw new Error(`the file is not a readable zip (${errorMessage(e)}): it is damaged or truncated, or not a checkpoint export`);
  }
  const record = entries.get(CHECKPOINT_JSON);
  if (!record) {
    const hint = entries.has('encoder/model.json')
      ? ' This is a weights export (for tf.loadLayersModel); import the "checkpoint" export instead.'
      : '';
    throw new Error(`the zip has no ${CHECKPOINT_JSON}, so it is not a VICReg Studio checkpoint.${hint}`);
  }
  const tensors = entries.get(CHECKPOINT_BIN);
  if (!tensors) throw new Error(`the zip has ${CHECKPOINT_JSON} but no ${CHECKPOINT_BIN}: the weight file is missing`);
  if (record.originalSize > MAX_RECORD_BYTES) {
    throw new Error(
      `${CHECKPOINT_JSON} declares ${mb(record.originalSize)}; a checkpoint's record is at most ${mb(MAX_RECORD_BYTES)}: the file is damaged or not a checkpoint`,
    );
  }
  const text = strFromU8(inflate(bytes, CHECKPOINT_JSON, record));
  const depth = jsonDepth(text);
  if (depth > MAX_RECORD_DEPTH)
    throw new Error(
      `${CHECKPOINT_JSON} nests ${depth} levels deep; a checkpoint's record nests at most ${MAX_RECORD_DEPTH}: the file is damaged or not a checkpoint`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${CHECKPOINT_JSON} is not valid JSON: the file is damaged`);
  }
  const meta = validateRecord(raw);
  check?.(meta);
  if (tensors.originalSize % 4 !== 0)
    throw new Error(`${CHECKPOINT_BIN} has ${tensors.originalSize} bytes, not a whole number of float32 values: it is truncated`);
  if (tensors.originalSize / 4 !== meta.values) throw valuesMismatch(tensors.originalSize / 4, meta.values);
  const bin = inflate(bytes, CHECKPOINT_BIN, tensors);
  const data = new Float32Array(bin.byteLength / 4);
  new Uint8Array(data.buffer).set(bin);
  return { meta, data };
}

/** One file of the zip, inflated once its declared size was accepted, and checked against its CRC-32. */
function inflate(bytes: Uint8Array, name: string, entry: ZipEntry): Uint8Array {
  let file: Uint8Array | undefined;
  try {
    file = unzipSync(bytes, { filter: (f) => f.name === name })[name];
  } catch (e) {
    throw new Error(`${name} cannot be inflated (${errorMessage(e)}): the file is damaged or truncated`);
  }
  if (!file || file.byteLength !== entry.originalSize)
    throw new Error(`${name} inflates to ${file?.byteLength ?? 0} bytes where the zip declares ${entry.originalSize}: the file is damaged`);
  const crc = crc32(file);
  if (crc !== entry.crc) {
    throw new Error(
      `${name} fails its CRC-32 check (the zip says ${entry.crc.toString(16)}, the content gives ${crc.toString(16)}): the file was damaged after it was written. Export it again.`,
    );
  }
  return file;
}

/**
 * One row per step: the loss terms, and where an online k-NN point was taken, its top-1 with its
 * 95% Wilson interval over the k-NN's test subset, and the two reference lines (raw pixels, random
 * init) beside it. Steps with only one of the two leave the other's columns empty (step 0 is the
 * random init's k-NN point).
 */
export function metricsCsv(records: MetricRecord[], knn: KnnRecord[] = [], lines: KnnBaselines | null = null): string {
  const cols = ['step', 'epoch', 'lr', 'loss', 'invariance', 'variance', 'covariance', 'gammaT', 'imagesPerSec'] as const;
  const knnCols = ['knnTop1', 'knnTop1Lo95', 'knnTop1Hi95', 'knnPixels', 'knnRandom'] as const;
  const none = knnCols.map(() => undefined);
  const n = lines?.testCount ?? 0;
  const round = (x: number) => Number(x.toFixed(4));
  const byStep = new Map<number, unknown[]>();
  for (const r of records) byStep.set(r.step, [...cols.map((k) => r[k]), ...none]);
  for (const p of knn) {
    const row = byStep.get(p.step) ?? [p.step, p.epoch, ...cols.slice(2).map(() => undefined), ...none];
    const ci = n > 0 ? wilson(Math.round(p.top1 * n), n) : null;
    row.splice(cols.length, knnCols.length, p.top1, ci && round(ci.lo), ci && round(ci.hi), lines?.pixels, lines?.random);
    byStep.set(p.step, row);
  }
  const rows = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => csvLine(r));
  return `${[csvLine([...cols, ...knnCols]), ...rows].join('\n')}\n`;
}

export interface WeightsExport {
  encoder: { modelJson: string; weights: Uint8Array };
  projector: { modelJson: string; weights: Uint8Array };
  featureDim: number;
  mean: [number, number, number];
  std: [number, number, number];
}

function readme(c: Checkpoint, w: WeightsExport): string {
  const m = c.meta;
  const f = (v: number[]) => `[${v.map((x) => x.toFixed(6)).join(', ')}]`;
  return `VICReg Studio ${APP_VERSION} — weights of run "${m.runName}" at step ${m.step} of ${m.totalSteps}
Dataset: ${m.dataset.name}. Trained with VICReg (Bardes, Ponce & LeCun, ICLR 2022).

Files
  encoder/model.json + encoder/weights.bin     the backbone, TF.js layers format:
                                               input [batch, H, W, 3] float32 -> features [batch, ${w.featureDim}]
  projector/model.json + projector/weights.bin the projector (${m.config.projector}):
                                               features [batch, ${w.featureDim}] -> embedding
  config.json                                  the resolved training config
  metrics.csv                                  the loss terms per step and the online k-NN curve (downsampled for long runs)
  probe-heads.json                             (when a linear probe was fit on these weights) per readout, the
                                               probe: softmax(((features - mean) / std) W + b), W [D, C] row-major,
                                               classes in "classes"; readout "pool:global|bn0" = the encoder's output

Load it (browser: serve the folder; Node: @tensorflow/tfjs-node, or read the files yourself)
  const encoder = await tf.loadLayersModel('https://your.host/encoder/model.json');
  const encoder = await tf.loadLayersModel('file://./encoder/model.json');   // tfjs-node

Input normalization (required; the same as in the studio)
  1. RGB, values scaled to [0, 1] (pixel / 255), images resized to ${m.config.imageSize} x ${m.config.imageSize} (bilinear).
  2. Per channel: (x - mean) / std with
       mean = ${f(w.mean)}
       std  = ${f(w.std)}
  3. encoder.predict(x) gives the representation (BatchNorm in inference mode, as for
     evaluation in the studio). Use the encoder's features for downstream tasks; the
     projector's output is what the VICReg loss saw.
`;
}

export function weightsZip(c: Checkpoint, w: WeightsExport, probes: StoredProbes | null = null): Uint8Array {
  const files: Zippable = {
    ...probeFiles(probes),
    'encoder/model.json': strToU8(w.encoder.modelJson),
    'encoder/weights.bin': [w.encoder.weights, { level: 0 }],
    'projector/model.json': strToU8(w.projector.modelJson),
    'projector/weights.bin': [w.projector.weights, { level: 0 }],
    'config.json': strToU8(JSON.stringify(c.meta.config, null, 2)),
    'metrics.csv': strToU8(metricsCsv(c.meta.metrics, c.meta.knn, c.meta.knnBaselines)),
    'README.txt': strToU8(readme(c, w)),
  };
  return zipSync(files);
}
