// The one worker that owns TF.js. It implements the WorkerApi contract and is exposed with Comlink.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GPU_LOST, type BackendReport, type EvalReport, type TrainEvent, type WorkerApi } from './contract/api';
import { DEFAULT_CONFIG } from './contract/config';
import { selectBackend, skipMeasurement, watchGpuDevice } from './backend/select';
import { checkKernels } from './backend/kernel-check';
import { fromPixels, loadSample, resplit, type Dataset } from './dataset/dataset';
import { FeatureCache } from './eval/cache';
import { baselineReport, evaluationReport } from './eval/report';
import { cloneModel } from './eval/weights';
import { buildModel } from './model/model';
import { featureKey, featureMap, neighbours, rowFeatures, takeWeights, type EvalWeights } from './eval/session';
import { decodeImages, ingestFolder, MAX_INFER_IMAGES } from './dataset/ingest';
import { infer } from './eval/infer';
import type { ProbeHead } from './eval/probe';
import { previewAugment, thumbnails } from './dataset/preview';
import { deleteDataset, listDatasets, loadDataset } from './dataset/dataset-db';
import { releaseRun, RunControl, type TrainedRun } from './train/run';
import { train } from './train/trainer';
import type { Checkpoint } from './checkpoint/record';
import {
  checkpointFile,
  checkpointWriter,
  embeddingsFile,
  importCheckpoint,
  openCheckpoint,
  runFromCheckpoint,
  weightsFile,
} from './checkpoint/service';
import { browserKv, deleteCheckpoint, listRuns, newRunId, recordResults, removeOrphans } from './checkpoint/run-db';
import { announceRunsChanged, openRunIds, withRunLock } from './checkpoint/tabs';
import { torchProjectZip } from './torch/project';

let dataset: Dataset | null = null;
let backend: BackendReport | null = null;
let control: RunControl | null = null;
let lastRun: TrainedRun | null = null;
let ingestCancelled = false;
let evalGeneration = 0; // Cancel moves it on; an evaluation stops once it has moved
let runCount = 0; // names the weights of each run in the feature cache
const features = new FeatureCache();
/** A stored checkpoint chosen for evaluation (Evaluate in the checkpoint list), or null. */
const DEFAULT_KEEP = DEFAULT_CONFIG.keepCheckpoints;
let evalCheckpoint: { key: string; name: string; runId: string; run: TrainedRun } | null = null;
let currentRunId: string | null = null; // the run trained last (or now)
let orphansChecked: Promise<number> | undefined;
let gpu: { destroy(): void } | null = null;
// Loses the GPU device on purpose, as a driver reset would: the browser test of the recovery
// sends this from the worker's own scope (a message no other code posts).
self.addEventListener('message', (e: MessageEvent) => {
  if ((e.data as { type?: string } | null)?.type === 'vicreg:destroy-gpu-device') gpu?.destroy();
});

let selecting = false; // a backend is being chosen: nothing that computes may start

/** Throws while no backend is chosen: the UI keeps what computes disabled until then. */
function needBackend(): void {
  if (!backend || selecting)
    throw new Error('the backend is still being measured: this starts once it is chosen (Skip, beside Train, ends the measurement)');
}

/** Whether this worker is training `runId` now (its lock is then this tab's own). */
const trainingHere = (runId: string) => !!control && !control.stopped && runId === currentRunId;

function disposeEvalCheckpoint() {
  if (evalCheckpoint) releaseRun(evalCheckpoint.run);
  evalCheckpoint = null;
}

/** The weights to evaluate, copied now: the finished or stopped run's, or, while a run trains,
 *  a snapshot at its current step (the run goes on; later steps do not reach the copy). */
function evalWeights(): EvalWeights {
  if (evalCheckpoint) return takeWeights(evalCheckpoint.key, evalCheckpoint.run, false);
  if (control && !control.stopped) {
    const live = control.live?.();
    if (!live) throw new Error('the run is still preparing: evaluate once its first step has run');
    return takeWeights(`run${runCount}`, live, true);
  }
  if (!lastRun) throw new Error('train first: there are no trained weights to evaluate yet');
  return takeWeights(`run${runCount}`, lastRun, false);
}

/** A cancel check for an evaluation starting now. */
function cancelCheck(): () => boolean {
  const generation = evalGeneration;
  return () => generation !== evalGeneration;
}

function disposeRun() {
  if (lastRun) releaseRun(lastRun);
  lastRun = null;
  features.clear('run'); // every run's features; raw pixels stay
}

let evaluations = 0; // evaluations and feature maps in progress
/** Fine-tune and supervised reports, by weights and settings (the last 16). */
const baselines = new Map<string, EvalReport>();
/** The last linear probe of each trained encoder's features (by feature key), for inference. */
const probeHeads = new Map<string, ProbeHead>();

const api: WorkerApi = {
  async selectBackend(choice, spec, prefer, exclude, onProgress) {
    if (control && !control.stopped) throw new Error('stop the running training before changing the backend');
    // Tensors belong to one backend; anything held is rebuilt on the new one.
    disposeRun();
    features.clear();
    selecting = true;
    try {
      backend = await selectBackend(choice, spec, prefer, exclude, onProgress);
    } finally {
      selecting = false;
    }
    // A lost GPU device leaves this worker unusable: the page replaces it (src/bridge.ts).
    gpu = watchGpuDevice((why) => self.postMessage({ type: GPU_LOST, why }));
    return backend;
  },
  async checkKernels() {
    if (control && !control.stopped) throw new Error('stop the running training before checking kernels');
    // The check switches TF.js to the CPU backend between cases: nothing else may compute meanwhile.
    if (evaluations > 0) throw new Error('wait for the evaluation to finish before checking kernels');
    if (!backend) throw new Error('select a backend first');
    return checkKernels();
  },
  skipMeasurement: async () => skipMeasurement(),
  async loadSample(baseUrl, testFraction, seed) {
    dataset = await loadSample(baseUrl, testFraction, seed);
    return dataset.summary;
  },
  async ingest(files, options, onProgress) {
    ingestCancelled = false;
    const d = await ingestFolder(files, options, onProgress, () => ingestCancelled);
    dataset = d;
    return d.summary;
  },
  cancelIngest: () => {
    ingestCancelled = true;
  },
  listDatasets: () => listDatasets(),
  async openDataset(id, testFraction, seed) {
    const stored = await loadDataset(id);
    if (!stored) throw new Error(`no stored dataset ${id}; it may have been deleted`);
    const { meta, pixels } = stored;
    dataset = fromPixels(
      pixels,
      { count: meta.count, height: meta.size, width: meta.size, channels: 3 },
      meta.labels,
      meta.classNames,
      {
        id,
        name: meta.name,
        source: meta.classNames.length ? `Folder "${meta.name}", stored in this browser` : 'Unlabeled folder, stored in this browser',
        testFraction,
        seed,
      },
      { skipped: meta.skipped, sizeRange: meta.sizeRange, storedBytes: meta.bytes },
    );
    dataset.paths = meta.paths;
    return dataset.summary;
  },
  async deleteDataset(id) {
    if (dataset?.summary.id === id && control && !control.stopped) throw new Error('stop the running training before deleting its dataset');
    await deleteDataset(id);
  },
  async resplit(testFraction, seed) {
    if (!dataset) throw new Error('load a dataset first');
    dataset = resplit(dataset, testFraction, seed);
    return dataset.summary;
  },
  async thumbnails(count) {
    if (!dataset) throw new Error('load a dataset first');
    return thumbnails(dataset, count);
  },
  async previewAugment(config, count, draw) {
    if (!dataset) throw new Error('load a dataset first');
    return previewAugment(dataset, config, count, draw);
  },
  async evaluate(config, kind, onProgress) {
    needBackend();
    if (!dataset) throw new Error('load a dataset first');
    const data = dataset;
    const cancelled = cancelCheck();
    const w = evalWeights();
    const runId = evalCheckpoint?.runId ?? currentRunId;
    evaluations++;
    try {
      if (kind === 'finetune' || kind === 'supervised') {
        // Cached per weights and settings, as features are: the same request answers at once.
        const key = `${kind}|${kind === 'finetune' ? featureKey(w, config, 'trained') : `${w.source}|random`}|${data.summary.id}|${config.seed}|${config.testFraction}|${config.baselineEpochs}`;
        const cached = baselines.get(key);
        let report: EvalReport | undefined = cached ? { ...cached, cached: true } : undefined;
        if (!report) {
          // Fine-tune trains a copy of the weights; supervised a fresh init of their architecture.
          const model = kind === 'finetune' ? cloneModel(w.model, w.config) : buildModel({ ...w.config, seed: config.seed });
          try {
            report = await baselineReport(
              kind,
              model,
              w,
              data,
              { ...w.config, seed: config.seed },
              config.baselineEpochs,
              onProgress,
              cancelled,
            );
          } finally {
            model.dispose();
          }
          baselines.set(key, report);
          if (baselines.size > 16) baselines.delete(baselines.keys().next().value!);
        }
        if (runId && (await recordResults(browserKv(), runId, report.step, report).catch(() => null))) announceRunsChanged();
        return report;
      }
      const report = await evaluationReport(
        kind,
        rowFeatures(features, w, data, config, cancelled),
        w,
        data,
        config,
        onProgress,
        cancelled,
        (head) => {
          probeHeads.set(featureKey(w, config, 'trained'), head);
          if (probeHeads.size > 8) probeHeads.delete(probeHeads.keys().next().value!); // the oldest goes
        },
      );
      if (runId && (await recordResults(browserKv(), runId, report.step, report).catch(() => null))) announceRunsChanged();
      return report;
    } finally {
      evaluations--;
      w.model.dispose();
    }
  },
  async featureMap(config, onProgress) {
    needBackend();
    if (!dataset) throw new Error('load a dataset first');
    const data = dataset;
    const cancelled = cancelCheck();
    const w = evalWeights();
    evaluations++;
    try {
      return await featureMap(features, w, data, config, onProgress, cancelled);
    } finally {
      evaluations--;
      w.model.dispose();
    }
  },
  async neighbours(key, test, k) {
    if (!dataset) throw new Error('load a dataset first');
    const pair = features.peek(key, dataset);
    if (!pair) throw new Error('the features of this map are no longer cached (another dataset, split or run): draw the map again');
    try {
      return await neighbours(pair, dataset, test, k);
    } finally {
      pair.train.dispose();
      pair.test.dispose();
    }
  },
  async infer(files, config, onProgress) {
    needBackend();
    if (!dataset) throw new Error('load the dataset the weights were trained on first: new images are compared with its training split');
    if (files.length > MAX_INFER_IMAGES) throw new Error(`${files.length} images: give at most ${MAX_INFER_IMAGES} at a time`);
    const data = dataset;
    if (data.summary.unlabeled || data.summary.classes.length < 2)
      throw new Error('inference names classes: it needs a dataset with at least two class folders');
    const cancelled = cancelCheck();
    const w = evalWeights();
    evaluations++;
    try {
      const images = await decodeImages(files, data.shape.height);
      const pair = await rowFeatures(features, w, data, config, cancelled)('trained', onProgress);
      pair.test.dispose();
      try {
        return await infer(w, config, data, pair.train, images, probeHeads.get(featureKey(w, config, 'trained')) ?? null);
      } finally {
        pair.train.dispose();
      }
    } finally {
      evaluations--;
      w.model.dispose();
    }
  },
  cancelEvaluation: () => {
    evalGeneration++;
  },
  async train(config, onEvent, from) {
    needBackend();
    if (!dataset) throw new Error('load a dataset before training');
    if (control && !control.stopped) throw new Error('a run is already in progress');
    let c = config;
    let resume: Checkpoint | undefined;
    let run = { runId: newRunId(), runName: `${dataset.summary.name} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}` };
    if (from) {
      const opened = await openCheckpoint(browserKv(), from.runId, from.step);
      const m = opened.checkpoint.meta;
      if (m.dataset.id !== dataset.summary.id)
        throw new Error(`run "${m.runName}" trained on "${m.dataset.name}": open that dataset, then resume`);
      if (m.finished) throw new Error(`run "${m.runName}" finished at step ${m.step}; there is nothing left to resume`);
      // The run's own config, but today's runtime settings (backend, readback, checkpoint cadence).
      c = {
        ...opened.config,
        backend: config.backend,
        recompute: config.recompute,
        metricsEvery: config.metricsEvery,
        checkpointEvery: config.checkpointEvery,
        keepCheckpoints: config.keepCheckpoints,
      };
      dataset = resplit(dataset, c.testFraction, c.seed);
      resume = opened.checkpoint;
      run = { runId: m.runId, runName: m.runName };
    }
    const data = dataset;
    // One tab at a time trains a run (./checkpoint/tabs.ts); the others may still read it.
    // The other tabs hear of the run when it starts and once its lock is free again.
    return withRunLock(run.runId, run.runName, async () => {
      announceRunsChanged();
      disposeRun();
      disposeEvalCheckpoint();
      runCount++;
      currentRunId = run.runId;
      const ctl = (control = new RunControl());
      const written = (e: TrainEvent) => {
        if (e.type === 'checkpoint') announceRunsChanged();
        onEvent(e);
      };
      try {
        lastRun = await train(data, c, ctl, onEvent, {
          ...run,
          resume,
          checkpoint: checkpointWriter(browserKv(), c.keepCheckpoints, written),
        });
        return lastRun.state;
      } finally {
        ctl.stop();
      }
    }).finally(announceRunsChanged);
  },
  saveCheckpoint: () => control?.requestSave(),
  ping: async () => true as const,
  async memory() {
    const m = tf.memory();
    const heap =
      tf.getBackend() === 'wasm' ? ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength : null;
    return { tensors: m.numTensors, bytes: m.numBytes, wasmHeapBytes: heap };
  },
  async listRuns() {
    // Once per worker: checkpoints left without a run by versions that wrote the two apart.
    orphansChecked ??= removeOrphans(browserKv()).catch(() => 0);
    await orphansChecked;
    return listRuns(browserKv());
  },
  async runHistory(runId) {
    const m = (await openCheckpoint(browserKv(), runId)).checkpoint.meta;
    return {
      runId,
      name: m.runName,
      config: m.config,
      metrics: m.metrics,
      diagnostics: m.diagnostics ?? [],
      knn: m.knn ?? [],
      knnBaselines: m.knnBaselines ?? null,
    };
  },
  async openRuns(runIds) {
    return (await openRunIds(runIds)).filter((id) => !trainingHere(id));
  },
  async deleteCheckpoint(runId, step) {
    if (!trainingHere(runId) && (await openRunIds([runId])).length)
      throw new Error('this run is training in another tab of this browser; stop it there first, then delete it');
    await deleteCheckpoint(browserKv(), runId, step);
    announceRunsChanged();
  },
  async exportCheckpoint(runId, step) {
    return checkpointFile((await openCheckpoint(browserKv(), runId, step)).checkpoint);
  },
  async exportPytorch(runId, step) {
    const { name, bytes } = torchProjectZip((await openCheckpoint(browserKv(), runId, step)).checkpoint);
    return { name, mime: 'application/zip', bytes };
  },
  async exportWeights(runId, step) {
    needBackend();
    const { checkpoint, config } = await openCheckpoint(browserKv(), runId, step);
    return weightsFile(checkpoint, config);
  },
  async exportEmbeddings(runId, step, onProgress) {
    needBackend();
    if (!dataset) throw new Error('load the dataset to embed first');
    const { checkpoint, config } = await openCheckpoint(browserKv(), runId, step);
    if (checkpoint.meta.dataset.id !== dataset.summary.id)
      throw new Error(
        `run "${checkpoint.meta.runName}" trained on "${checkpoint.meta.dataset.name}": open that dataset to export its embeddings`,
      );
    const run = runFromCheckpoint(checkpoint, config);
    try {
      return await embeddingsFile(run, checkpoint.meta.runName, resplit(dataset, config.testFraction, config.seed), onProgress);
    } finally {
      releaseRun(run);
    }
  },
  async importCheckpoint(bytes, fileName) {
    const run = await importCheckpoint(browserKv(), bytes, DEFAULT_KEEP, fileName);
    announceRunsChanged();
    return run;
  },
  async evaluateCheckpoint(source) {
    needBackend();
    disposeEvalCheckpoint();
    if (!source) return null;
    const { checkpoint, config } = await openCheckpoint(browserKv(), source.runId, source.step);
    const m = checkpoint.meta;
    if (dataset && m.dataset.id === dataset.summary.id) dataset = resplit(dataset, config.testFraction, config.seed);
    evalCheckpoint = {
      key: `ckpt:${m.runId}:${m.step}`,
      name: `${m.runName}, step ${m.step}`,
      runId: m.runId,
      run: runFromCheckpoint(checkpoint, config),
    };
    return evalCheckpoint.name;
  },
  pause: () => control?.pause(),
  resume: () => control?.resume(),
  stop: () => control?.stop(),
};

Comlink.expose(api);
