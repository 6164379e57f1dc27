// The worker's dataset calls (DatasetApi in ../contract/api.ts): loading, ingesting and opening a
// dataset (it becomes the one every other call works on), the stored list, the split and previews.
import type { DatasetApi } from '../contract/api';
import { requireDataset, requireIdle, state } from '../state';
import { fromPixels, loadSample, resplit } from './dataset';
import { deleteDataset, listDatasets, loadDataset } from './dataset-db';
import { ingestFolder } from './ingest';
import { previewAugment, thumbnails } from './preview';

export const datasetApi: DatasetApi = {
  async loadSample(baseUrl, testFraction, seed) {
    state.dataset = await loadSample(baseUrl, testFraction, seed);
    return state.dataset.summary;
  },
  async ingest(files, options, onProgress) {
    state.ingestCancelled = false;
    const d = await ingestFolder(files, options, onProgress, () => state.ingestCancelled);
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
    state.dataset = dataset;
    dataset.paths = meta.paths;
    return dataset.summary;
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
