// Files that leave the studio, as zips (fflate): the full checkpoint, which any copy of the studio
// can import and resume, and the weights export for use elsewhere (TF.js layers format).
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { KnnBaselines, KnnRecord, MetricRecord } from '../contract/api';
import { APP_VERSION } from '../contract/version';
import { type Checkpoint, type CheckpointMeta } from './record';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'tensors.bin';

/** A file name from a run name and step: letters, digits, dot, dash. */
export function fileStem(runName: string, step: number): string {
  return `${runName.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}-step${step}`;
}

/** checkpoint.json + tensors.bin (float32, little-endian, in the record's order). */
export function checkpointZip(c: Checkpoint): Uint8Array {
  const bin = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  // Already dense float noise: storing is as small as deflating and much faster.
  return zipSync({ [CHECKPOINT_JSON]: strToU8(JSON.stringify(c.meta, null, 1)), [CHECKPOINT_BIN]: [bin, { level: 0 }] });
}

/** The inverse of checkpointZip; throws, naming what is wrong, for anything that is not one. */
export function readCheckpointZip(bytes: Uint8Array): Checkpoint {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new Error(`the file is not a readable zip (${e instanceof Error ? e.message : String(e)}): it is damaged or truncated, or not a checkpoint export`);
  }
  if (!files[CHECKPOINT_JSON]) {
    const hint = files['encoder/model.json'] ? ' This is a weights export (for tf.loadLayersModel); import the "checkpoint" export instead.' : '';
    throw new Error(`the zip has no ${CHECKPOINT_JSON}, so it is not a VICReg Studio checkpoint.${hint}`);
  }
  if (!files[CHECKPOINT_BIN]) throw new Error(`the zip has ${CHECKPOINT_JSON} but no ${CHECKPOINT_BIN}: the weight file is missing`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(strFromU8(files[CHECKPOINT_JSON])) as CheckpointMeta;
  } catch {
    throw new Error(`${CHECKPOINT_JSON} is not valid JSON: the file is damaged`);
  }
  const bin = files[CHECKPOINT_BIN];
  if (bin.byteLength % 4 !== 0) throw new Error(`${CHECKPOINT_BIN} has ${bin.byteLength} bytes, not a whole number of float32 values: it is truncated`);
  const data = new Float32Array(bin.byteLength / 4);
  new Uint8Array(data.buffer).set(bin);
  return { meta, data };
}

/**
 * One row per step: the loss terms, and where an online k-NN point was taken, its top-1 with the
 * two reference lines (raw pixels, random init) beside it. Steps with only one of the two leave
 * the other's columns empty (step 0 is the random init's k-NN point).
 */
export function metricsCsv(records: MetricRecord[], knn: KnnRecord[] = [], lines: KnnBaselines | null = null): string {
  const cols = ['step', 'epoch', 'lr', 'loss', 'invariance', 'variance', 'covariance', 'gammaT', 'imagesPerSec'] as const;
  const byStep = new Map<number, string[]>();
  for (const r of records) byStep.set(r.step, [...cols.map((k) => (r[k] === undefined ? '' : String(r[k]))), '', '', '']);
  for (const p of knn) {
    const row = byStep.get(p.step) ?? [String(p.step), String(p.epoch), ...cols.slice(2).map(() => ''), '', '', ''];
    row.splice(cols.length, 3, String(p.top1), lines ? String(lines.pixels) : '', lines ? String(lines.random) : '');
    byStep.set(p.step, row);
  }
  const rows = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r.join(','));
  return [[...cols, 'knnTop1', 'knnPixels', 'knnRandom'].join(','), ...rows].join('\n') + '\n';
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

export function weightsZip(c: Checkpoint, w: WeightsExport): Uint8Array {
  const files: Zippable = {
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
