// The notice above the stored runs, and re-reading their list: every panel's actions post their
// news and refresh the list through here (a clear that goes with other fields of one update stays
// in that update; a failed save's notice is set by src/train/slice.ts). The Checkpoints panel shows the notice
// (src/checkpoint/CheckpointPanel.tsx), the Train panel too when it concerns the training run.
import type { RunRecord } from '../workers/contract/api';
import { worker } from './bridge';
import type { CheckpointNotice } from './checkpoint/slice';
import { useStore } from './store';

/** The store as it is at the moment of the call (after an await, what changed meanwhile). */
const store = useStore.getState;

/** Shows a problem (or, with error false, news) above the list of stored runs until the next one;
 *  `run` when it concerns the training run. */
export const showNotice = (text: string, error = true, run?: CheckpointNotice['run']) =>
  store().setCheckpoints({ checkpointNotice: { text, error, run } });

export const clearNotice = () => store().setCheckpoints({ checkpointNotice: null });

/** Reads the stored runs again (and which of them train in another tab, and the damaged ones). */
export async function refreshRuns(): Promise<RunRecord[]> {
  try {
    const { runs, damaged } = await worker().listRuns();
    const openElsewhere = await worker().openRuns(runs.filter((r) => !r.finished).map((r) => r.runId));
    store().setRuns(runs);
    store().setCheckpoints({ openElsewhere, damagedRuns: damaged });
    return runs;
  } catch {
    return []; // IndexedDB unavailable: nothing stored to list
  }
}
