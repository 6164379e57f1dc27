import type { StateCreator } from 'zustand';
import type { DatasetSummary, IngestProgress, StoredDataset } from '../../workers/contract/api';
import type { Store } from '../store';

export interface DatasetSlice {
  dataset: DatasetSummary | null;
  datasetStatus: 'none' | 'loading' | 'ingesting' | 'ready' | 'failed';
  datasetError: string | null;
  /** While ingesting: counts, and when it began (for the ETA); `listed` while the files are
   *  still being handed to the worker (src/dataset/actions.ts ingestFiles). */
  ingest: (IngestProgress & { startedMs: number; listed?: number }) | null;
  storedDatasets: StoredDataset[];
  setDataset: (d: DatasetSummary) => void;
  setDatasetStatus: (status: DatasetSlice['datasetStatus'], error?: string) => void;
  setIngest: (p: DatasetSlice['ingest']) => void;
  setStoredDatasets: (list: StoredDataset[]) => void;
}

export const createDatasetSlice: StateCreator<Store, [], [], DatasetSlice> = (set) => ({
  dataset: null,
  datasetStatus: 'none',
  datasetError: null,
  ingest: null,
  storedDatasets: [],
  setDataset: (dataset) => set({ dataset, datasetStatus: 'ready', datasetError: null, ingest: null }),
  setDatasetStatus: (datasetStatus, error) => set({ datasetStatus, datasetError: error ?? null }),
  setIngest: (ingest) => set({ ingest }),
  setStoredDatasets: (storedDatasets) => set({ storedDatasets }),
});
