import type { StateCreator } from 'zustand';
import type { RunHistory } from '../../workers/contract/api';
import type { Store } from '../store';

export interface CompareSlice {
  /** Runs ticked for comparison, in the order ticked, with their histories once read. A run no
   *  longer stored leaves it with the list that drops it (src/checkpoint/slice.ts setRuns). */
  compare: RunHistory[];
  setCompare: (compare: RunHistory[]) => void;
}

export const createCompareSlice: StateCreator<Store, [], [], CompareSlice> = (set) => ({
  compare: [],
  setCompare: (compare) => set({ compare }),
});
