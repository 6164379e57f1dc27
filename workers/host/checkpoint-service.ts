// What the worker does with checkpoints: write them as training goes, turn a stored one back into
// a run (to resume or to evaluate), and package one as a file (checkpoint, weights, embeddings).
import type { ExportFile, RunRecord, TrainEvent } from '../contract/api';
import { withRuntime, type TrainConfig } from '../contract/config';
import { type Dataset, imageName } from '../dataset/dataset';
import { embed } from '../eval/features';
import { buildModel } from '../model/model';
import { makeOptimizer } from '../optim/optimizers';
import { releaseRun, type TrainedRun } from '../train/run';
import { encoderLayers, layersFiles, lookupFor, projectorLayers } from '../checkpoint/layers-model';
import { csvLine } from '../checkpoint/csv';
import { checkLayout, restoreTensors, validateCheckpoint, type Checkpoint } from '../checkpoint/record';
import { loadCheckpoint, newRunId, saveCheckpoint, type Kv } from '../checkpoint/run-db';
import { checkpointZip, fileStem, readCheckpointZip, readProbesZip, weightsZip } from '../checkpoint/zip';
import { storeProbes, type StoredProbes } from '../checkpoint/probe-store';
import { checkpointFromSafetensors, isSafetensors, isZip } from '../torch/import';
import { errorMessage } from '../contract/errors';

/** The trainer's checkpoint sink: writes, reports each write (and its cost) or why it failed. */
export function checkpointWriter(kv: Kv, keep: number, emit: (e: TrainEvent) => void): (c: Checkpoint, readMs: number) => Promise<void> {
  return async (c, readMs) => {
    try {
      const { info, run } = await saveCheckpoint(kv, c, keep, readMs);
      emit({ type: 'checkpoint', info, run });
    } catch (e) {
      emit({ type: 'checkpoint-error', message: errorMessage(e) });
    }
  };
}

/** A stored checkpoint, checked, with the config it was trained with. */
export async function openCheckpoint(kv: Kv, runId: string, step?: number): Promise<{ checkpoint: Checkpoint; config: TrainConfig }> {
  const stored = await loadCheckpoint(kv, runId, step);
  const checkpoint = validateCheckpoint(stored.meta, stored.data);
  return { checkpoint, config: checkpoint.meta.config };
}

/** A stored run, checked, to continue on the dataset loaded once it is read, with today's runtime
 *  settings; throws, saying what to do, when it trained on another dataset or has finished. */
export async function openForResume(kv: Kv, from: { runId: string; step?: number }, loaded: () => Dataset, today: TrainConfig) {
  const { checkpoint, config } = await openCheckpoint(kv, from.runId, from.step);
  const m = checkpoint.meta;
  if (m.dataset.id !== loaded().summary.id)
    throw new Error(`run "${m.runName}" trained on "${m.dataset.name}": open that dataset, then resume`);
  if (m.finished) throw new Error(`run "${m.runName}" finished at step ${m.step}; there is nothing left to resume`);
  return { checkpoint, config: withRuntime(config, today), run: { runId: m.runId, runName: m.runName } };
}

/** The checkpoint's model, optimizer and AVT state on the current backend; the caller disposes. */
export function runFromCheckpoint(checkpoint: Checkpoint, config: TrainConfig): TrainedRun {
  const model = buildModel(config);
  const optimizer = makeOptimizer(config);
  try {
    const avt = restoreTensors(checkpoint, model, optimizer);
    const m = checkpoint.meta;
    return { state: m.finished ? 'done' : 'stopped', step: m.step, model, optimizer, avt, config, trainedMs: m.trainedMs };
  } catch (e) {
    optimizer.dispose();
    model.dispose();
    throw e;
  }
}

/**
 * Reads an imported checkpoint file and checks it all the way (sizes and CRCs, format, config,
 * the tensor layout against the model its config describes, then the tensors) before it is
 * stored; nothing stored is touched when it is refused. The record is checked before its tensors
 * are inflated, so a record that lists more values than its model has costs no memory. The
 * import becomes a new run with a fresh id: it never replaces a run stored here (importing the
 * same file twice gives two runs).
 */
export async function importCheckpoint(kv: Kv, bytes: Uint8Array, keep: number, fileName = 'weights.safetensors'): Promise<RunRecord> {
  // A PyTorch state dict (workers/torch/import.ts), or the studio's own checkpoint zip.
  if (!isZip(bytes) && isSafetensors(bytes)) return storeImport(kv, checkpointFromSafetensors(bytes, fileName).checkpoint, keep);
  const read = readCheckpointZip(bytes, (meta) => {
    const model = buildModel(meta.config); // built only to check names and shapes
    try {
      checkLayout(meta, model);
    } finally {
      model.dispose();
    }
  });
  const probes = readProbesZip(bytes);
  const record = await storeImport(kv, read, keep);
  if (probes) await storeProbes(kv, { runId: record.runId, step: read.meta.step }, probes);
  return record;
}

/** An imported checkpoint, checked as any other and restored once on a throwaway model, stored
 *  as a new run with a fresh id. */
async function storeImport(kv: Kv, read: Checkpoint, keep: number): Promise<RunRecord> {
  const checkpoint = validateCheckpoint(read.meta, read.data);
  releaseRun(runFromCheckpoint(checkpoint, checkpoint.meta.config)); // the whole restore, on a throwaway model
  const fresh = { ...checkpoint, meta: { ...checkpoint.meta, runId: newRunId() } };
  const { run: record } = await saveCheckpoint(kv, fresh, Math.max(keep, 100));
  return record;
}

export function checkpointFile(c: Checkpoint, probes: StoredProbes | null = null): ExportFile {
  return { name: `${fileStem(c.meta.runName, c.meta.step)}.vicreg.zip`, mime: 'application/zip', bytes: checkpointZip(c, probes) };
}

export async function weightsFile(c: Checkpoint, config: TrainConfig, probes: StoredProbes | null = null): Promise<ExportFile> {
  const get = lookupFor(c);
  const encoder = encoderLayers(config, get);
  const featureDim = encoder.outputs[0].shape[1] as number;
  const projector = projectorLayers(config, featureDim, get);
  try {
    const files = { encoder: await layersFiles(encoder), projector: await layersFiles(projector), featureDim, ...c.meta.normalization };
    return { name: `${fileStem(c.meta.runName, c.meta.step)}-weights.zip`, mime: 'application/zip', bytes: weightsZip(c, files, probes) };
  } finally {
    encoder.dispose();
    projector.dispose();
  }
}

/** One CSV row per image: its path, split, class and feature vector (the `featLayer` output, read out as `featPool`). */
export async function embeddingsFile(
  run: TrainedRun,
  name: string,
  data: Dataset,
  onProgress?: (done: number, total: number) => void,
): Promise<ExportFile> {
  const c = run.config;
  const all = Int32Array.from({ length: data.shape.count }, (_, i) => i);
  const features = await embed(run.model, data, all, c.imageSize, c.featLayer, (done) => onProgress?.(done, all.length), c.featPool);
  const values = (await features.data()) as Float32Array;
  const dim = features.shape[1];
  features.dispose();
  const split = new Uint8Array(all.length); // 0 train, 1 test
  data.test.forEach((i) => (split[i] = 1));
  const classes = data.summary.classes.map((k) => k.name);
  const header = ['path', 'split', 'class', ...Array.from({ length: dim }, (_, j) => `f${j}`)].join(',');
  const lines = [header];
  for (let i = 0; i < all.length; i++) {
    const path = imageName(data, i);
    const cls = classes.length ? classes[data.labels[i]] : '';
    const row = Array.from(values.subarray(i * dim, (i + 1) * dim), (v) => v.toPrecision(7));
    lines.push([csvLine([path, split[i] ? 'test' : 'train', cls]), ...row].join(','));
  }
  return {
    name: `${fileStem(name, run.step)}-embeddings-${c.featLayer === 'pool' ? `pool-${c.featPool}` : c.featLayer}.csv`,
    mime: 'text/csv',
    bytes: new TextEncoder().encode(`${lines.join('\n')}\n`),
  };
}
