import type { StateCreator } from 'zustand';
import type { DatasetSummary } from '../../workers/contract/api';
import type { Store } from './index';

export interface DatasetSlice {
  dataset: DatasetSummary | null;
  datasetStatus: 'none' | 'loading' | 'ready' | 'failed';
  datasetError: string | null;
  setDataset: (d: DatasetSummary) => void;
  setDatasetStatus: (status: DatasetSlice['datasetStatus'], error?: string) => void;
}

export const createDatasetSlice: StateCreator<Store, [], [], DatasetSlice> = (set) => ({
  dataset: null,
  datasetStatus: 'none',
  datasetError: null,
  setDataset: (dataset) => set({ dataset, datasetStatus: 'ready', datasetError: null }),
  setDatasetStatus: (datasetStatus, error) => set({ datasetStatus, datasetError: error ?? null }),
});
