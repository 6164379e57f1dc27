import type { StateCreator } from 'zustand';
import type { DamagedRun, RunRecord } from '../../workers/contract/api';
import type { Store } from '../store';

/** navigator.storage's view of this origin: bytes used, bytes allowed, and whether eviction is off. */
export interface StorageState {
  usage: number;
  quota: number;
  persisted: boolean;
}

export interface CheckpointNotice {
  text: string;
  error: boolean;
  run?: 'save' | 'worker';
}

export interface CheckpointSlice {
  runs: RunRecord[];
  storage: StorageState | null;
  /** The training run's id once it started (its checkpoints are marked in the list). */
  currentRunId: string | null;
  /** The last checkpoint problem (a full disk, a refused import) or news, shown until the next;
   *  the actions post it through src/notices.ts; a failed save's is set by src/train/slice.ts.
   *  `run` marks one that concerns the training run (a save that failed, the worker replaced):
   *  the Train panel shows it too. A failed save's notice goes when a later save succeeds. */
  checkpointNotice: CheckpointNotice | null;
  /** A stored checkpoint chosen for evaluation, by name; null = the last run. */
  evalSourceName: string | null;
  /** An export in progress: which, and how far (embedding export reports images). */
  exporting: { what: string; done: number; total: number } | null;
  /** The offer to resume an unfinished run, made once on page load; null once answered. */
  resumeOffer: RunRecord | null;
  /** Runs training in another tab of this browser: not resumable or deletable here. */
  openElsewhere: string[];
  /** Stored run records that fail their schema: listed with the reason, to be deleted. */
  damagedRuns: DamagedRun[];
  setRuns: (runs: RunRecord[]) => void;
  upsertRun: (run: RunRecord) => void;
  setCheckpoints: (
    patch: Partial<
      Pick<
        CheckpointSlice,
        'storage' | 'currentRunId' | 'checkpointNotice' | 'evalSourceName' | 'exporting' | 'resumeOffer' | 'openElsewhere' | 'damagedRuns'
      >
    >,
  ) => void;
}

export const createCheckpointSlice: StateCreator<Store, [], [], CheckpointSlice> = (set) => ({
  runs: [],
  storage: null,
  currentRunId: null,
  checkpointNotice: null,
  evalSourceName: null,
  exporting: null,
  resumeOffer: null,
  openElsewhere: [],
  damagedRuns: [],
  // A run that is no longer stored leaves the comparison (src/compare/slice.ts) in the same update.
  setRuns: (runs) => set((s) => ({ runs, compare: s.compare.filter((h) => runs.some((r) => r.runId === h.runId)) })),
  upsertRun: (run) => set((s) => ({ runs: [run, ...s.runs.filter((r) => r.runId !== run.runId)] })),
  setCheckpoints: (patch) => set(patch),
});
