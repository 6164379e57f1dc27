// Loading, ingesting, splitting and deleting datasets. Module level, writing the store, as the
// other actions (src/backend/actions.ts).
import type { DatasetSummary, IngestFile, IngestProgress } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, publicBase, worker } from '../bridge';
import { useStore } from '../store';

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

export function ingestFiles(files: IngestFile[]): Promise<void> {
  const { config, setIngest } = store();
  const startedMs = performance.now();
  setIngest({ done: 0, total: files.length, accepted: 0, skipped: 0, startedMs });
  const onProgress = callback((p: IngestProgress) => store().setIngest({ ...p, startedMs }));
  return load(
    () => worker().ingest(files, { imageSize: config.imageSize, testFraction: config.testFraction, seed: config.seed }, onProgress),
    'ingesting',
  );
}

export const cancelIngest = () => worker().cancelIngest();

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
