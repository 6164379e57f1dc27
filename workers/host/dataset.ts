// The worker's dataset calls (DatasetApi in ../contract/api.ts): loading, ingesting and opening a
// dataset (it becomes the one every other call works on), the stored list, the split and previews.
import type { DatasetApi, IngestFile } from '../contract/api';
import { requireDataset, requireIdle, state } from './state';
import { fromPixels, loadSample, resplit } from '../dataset/dataset';
import { deleteDataset, listDatasets, loadDataset } from '../dataset/dataset-db';
import { duplicatesOf, withoutDuplicates } from '../dataset/dedupe';
import { ingestFolder } from '../dataset/ingest';
import { previewAugment, thumbnails } from '../dataset/preview';

/** The files of the folder being read, handed over in batches (ingestAdd) ahead of ingest. */
let staged: IngestFile[] = [];

export const datasetApi: DatasetApi = {
  async loadSample(baseUrl, testFraction, seed) {
    state.dataset = await loadSample(baseUrl, testFraction, seed);
    return state.dataset.summary;
  },
  ingestAdd(files, first) {
    if (first) staged = [];
    for (const f of files) staged.push(f);
  },
  async ingest(files, options, onProgress) {
    state.ingestCancelled = false;
    const all = staged.concat(files);
    staged = [];
    const d = await ingestFolder(all, options, onProgress, () => state.ingestCancelled);
    state.dataset = d;
    return d.summary;
  },
  cancelIngest: () => {
    state.ingestCancelled = true;
  },
  listDatasets: () => listDatasets(),
  async openDataset(id, testFraction, seed) {
    const stored = await loadDataset(id);
    if (!stored) throw new Error(`no stored dataset ${id}; it may have been deleted`);
    const { meta, pixels } = stored;
    const dataset = fromPixels(
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
    // Found again from the stored pixels, which are the bytes ingest hashed: the same groups.
    dataset.summary.duplicates = duplicatesOf(dataset);
    state.dataset = dataset;
    return dataset.summary;
  },
  async dropDuplicates(conflicts, testFraction, seed) {
    requireIdle('dropping duplicates');
    state.dataset = await withoutDuplicates(requireDataset(), conflicts, testFraction, seed);
    return state.dataset.summary;
  },
  async deleteDataset(id) {
    if (state.dataset?.summary.id === id) requireIdle('deleting its dataset');
    await deleteDataset(id);
  },
  async resplit(testFraction, seed) {
    state.dataset = resplit(requireDataset(), testFraction, seed);
    return state.dataset.summary;
  },
  async thumbnails(count) {
    return thumbnails(requireDataset(), count);
  },
  async previewAugment(config, count, draw) {
    return previewAugment(requireDataset(), config, count, draw);
  },
};
