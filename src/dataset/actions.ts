// Loading, ingesting, splitting and deleting datasets. Module level, writing the store, as the
// other actions (src/backend/actions.ts).
import type { ConflictChoice, DatasetSummary, IngestFile, IngestProgress } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, publicBase, worker } from '../bridge';
import { useStore } from '../store';
import { FIRST_BATCH, nextBatchSize } from './batches';
import { ingestFileOf } from './folder';

/** The store as it is at the moment of the call (after an await, what changed meanwhile). */
const store = useStore.getState;

/** The dataset to open again on the next visit: 'sample' or a stored dataset's id. */
const LAST_DATASET = 'vicreg-studio:last-dataset';

async function load(how: () => Promise<DatasetSummary>, status: 'loading' | 'ingesting' = 'loading'): Promise<void> {
  store().setDatasetStatus(status);
  try {
    const summary = await how();
    store().setDataset(summary);
    localStorage.setItem(LAST_DATASET, summary.id.startsWith('sample:') ? 'sample' : summary.id);
  } catch (e) {
    store().setIngest(null);
    store().setDatasetStatus(store().dataset ? 'ready' : 'failed', errorMessage(e));
  }
  void refreshStoredDatasets();
}

export function loadSampleDataset(): Promise<void> {
  const { config } = store();
  return load(() => worker().loadSample(publicBase(), config.testFraction, config.seed));
}

/** Set by Cancel while the folder's files are still being handed to the worker. */
let listingCancelled = false;

/**
 * Hands the files to the worker in batches, each in a task of its own (./batches.ts says why),
 * then ingests them. Progress shows from the first file: the files handed over, then decoded.
 */
export function ingestFiles(files: (File | IngestFile)[]): Promise<void> {
  const { config, setIngest } = store();
  let startedMs = performance.now();
  const total = files.length;
  setIngest({ done: 0, total, accepted: 0, skipped: 0, startedMs, listed: 0 });
  listingCancelled = false;
  const onProgress = callback((p: IngestProgress) => store().setIngest({ ...p, startedMs }));
  const handOver = async () => {
    await new Promise((r) => setTimeout(r)); // the first batch too in a task of its own, after the bar shows
    let size = FIRST_BATCH;
    for (let at = 0; at < total; ) {
      if (listingCancelled) throw new Error('ingest cancelled; nothing was stored');
      const t = performance.now();
      const batch = files.slice(at, at + size).map((f) => (f instanceof File ? ingestFileOf(f) : f));
      const sent = worker().ingestAdd(batch, at === 0); // posted (and its files stat'ed) before this returns
      size = nextBatchSize(batch.length, performance.now() - t);
      await sent; // the reply comes in a task of its own: the page gets its turn in between
      at += batch.length;
      store().setIngest({ done: 0, total, accepted: 0, skipped: 0, startedMs, listed: at });
    }
    startedMs = performance.now(); // the ETA counts from the first decode
    return worker().ingest([], { imageSize: config.imageSize, testFraction: config.testFraction, seed: config.seed }, onProgress);
  };
  return load(handOver, 'ingesting');
}

export const cancelIngest = () => {
  listingCancelled = true;
  return worker().cancelIngest();
};

/** The loaded folder without its exact copies, stored in its place. */
export function dropDuplicates(conflicts: ConflictChoice): Promise<void> {
  const { config } = store();
  return load(() => worker().dropDuplicates(conflicts, config.testFraction, config.seed));
}

export function openStoredDataset(id: string): Promise<void> {
  const { config } = store();
  return load(() => worker().openDataset(id, config.testFraction, config.seed));
}

export async function deleteStoredDataset(id: string): Promise<void> {
  try {
    await worker().deleteDataset(id);
    if (localStorage.getItem(LAST_DATASET) === id) localStorage.removeItem(LAST_DATASET);
  } catch (e) {
    store().setDatasetStatus(store().datasetStatus, errorMessage(e));
  }
  await refreshStoredDatasets();
}

export async function refreshStoredDatasets(): Promise<void> {
  try {
    store().setStoredDatasets(await worker().listDatasets());
  } catch {
    // IndexedDB unavailable (private mode in some browsers): nothing stored to list.
  }
}

/** Seed or testFraction changed: the loaded dataset is split again. */
export function resplitDataset(): Promise<void> {
  const { config } = store();
  return load(() => worker().resplit(config.testFraction, config.seed));
}

/** On start: the dataset used last time, if it is still there. */
export async function restoreLastDataset(): Promise<void> {
  await refreshStoredDatasets();
  const last = localStorage.getItem(LAST_DATASET);
  if (last === 'sample') await loadSampleDataset();
  else if (last && store().storedDatasets.some((d) => d.id === last)) await openStoredDataset(last);
}
