import type { StateCreator } from 'zustand';
import type { KnnReport } from '../../workers/contract/api';
import type { Store } from './index';

export interface EvaluationSlice {
  knnStatus: 'idle' | 'running' | 'done' | 'failed';
  knnProgress: { done: number; total: number; startedMs: number } | null;
  knnReport: KnnReport | null;
  knnError: string | null;
  setKnn: (patch: Partial<Pick<EvaluationSlice, 'knnStatus' | 'knnProgress' | 'knnReport' | 'knnError'>>) => void;
}

export const createEvaluationSlice: StateCreator<Store, [], [], EvaluationSlice> = (set) => ({
  knnStatus: 'idle',
  knnProgress: null,
  knnReport: null,
  knnError: null,
  setKnn: (patch) => set(patch),
});
