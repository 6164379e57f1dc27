// The worker's calls on stored runs (CheckpointApi in ../contract/api.ts): listing, comparing,
// deleting, exporting and importing them. Other tabs hear of each change (../checkpoint/tabs.ts).
import type { CheckpointApi } from '../contract/api';
import { DEFAULT_CONFIG } from '../contract/config';
import { resplit } from '../dataset/dataset';
import { requireBackend, requireDataset, state, trainingHere } from './state';
import { torchProjectZip } from '../torch/project';
import { releaseRun } from '../train/run';
import { loadProbes } from '../checkpoint/probe-store';
import { browserKv, deleteCheckpoint, listRuns, removeOrphans } from '../checkpoint/run-db';
import { checkpointFile, embeddingsFile, importCheckpoint, openCheckpoint, runFromCheckpoint, weightsFile } from './checkpoint-service';
import { announceRunsChanged, openRunIds } from '../checkpoint/tabs';

const NO_DATASET = 'load the dataset to embed first';

/** An imported run keeps as many checkpoints as a run trained with the default settings. */
const DEFAULT_KEEP = DEFAULT_CONFIG.keepCheckpoints;

export const checkpointApi: CheckpointApi = {
  async listRuns() {
    // Once per worker: checkpoints left without a run by versions that wrote the two apart.
    state.orphansChecked ??= removeOrphans(browserKv()).catch(() => 0);
    await state.orphansChecked;
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
    const { checkpoint } = await openCheckpoint(browserKv(), runId, step);
    return checkpointFile(checkpoint, await loadProbes(browserKv(), runId, checkpoint.meta.step));
  },
  async exportPytorch(runId, step) {
    const { name, bytes } = torchProjectZip((await openCheckpoint(browserKv(), runId, step)).checkpoint);
    return { name, mime: 'application/zip', bytes };
  },
  async exportWeights(runId, step) {
    requireBackend();
    const { checkpoint, config } = await openCheckpoint(browserKv(), runId, step);
    return weightsFile(checkpoint, config, await loadProbes(browserKv(), runId, checkpoint.meta.step));
  },
  async exportEmbeddings(runId, step, onProgress) {
    requireBackend();
    requireDataset(NO_DATASET);
    const { checkpoint, config } = await openCheckpoint(browserKv(), runId, step);
    const data = requireDataset(NO_DATASET); // the one loaded once the checkpoint is read
    if (checkpoint.meta.dataset.id !== data.summary.id)
      throw new Error(
        `run "${checkpoint.meta.runName}" trained on "${checkpoint.meta.dataset.name}": open that dataset to export its embeddings`,
      );
    const run = runFromCheckpoint(checkpoint, config);
    try {
      return await embeddingsFile(run, checkpoint.meta.runName, resplit(data, config.testFraction, config.seed), onProgress);
    } finally {
      releaseRun(run);
    }
  },
  async importCheckpoint(bytes, fileName) {
    const run = await importCheckpoint(browserKv(), bytes, DEFAULT_KEEP, fileName);
    announceRunsChanged();
    return run;
  },
};
