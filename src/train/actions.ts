// Training: starting a run, resuming a stored one, pause / resume / stop, and the worker's events
// on their way to the store. Module level, writing the store, as the other actions
// (src/backend/actions.ts).
import { RUN_OPEN_ELSEWHERE, type RunRecord, type TrainEvent } from '../../workers/contract/api';
import { withRuntime } from '../../workers/contract/config';
import { errorMessage } from '../../workers/contract/errors';
import { callback, stepTook, worker } from '../bridge';
import { refreshStorage, requestPersistence } from '../checkpoint/actions';
import { loadSampleDataset, openStoredDataset } from '../dataset/actions';
import { refreshRuns, showNotice } from '../notices';
import { useStore } from '../store';
import { throttledEvents } from './throttle';

/** The store as it is at the moment of the call (after an await, what changed meanwhile). */
const store = useStore.getState;

let persistenceAsked = false;

/** Training events: checkpoint news goes to the checkpoint list at once, the rest (throttled) to
 *  the run; what the store keeps of each is src/train/slice.ts's onTrainEvent. */
function trainEvents(): (e: TrainEvent) => void {
  const run = throttledEvents(store().onTrainEvent, (step) => useStore.setState((s) => (step > s.step ? { step } : {})));
  return (e) => {
    const s = store();
    if (e.type === 'metrics') for (const r of e.records) stepTook(r.msPerStep);
    if (e.type === 'checkpoint') {
      s.onTrainEvent(e);
      // The first checkpoint of a visit asks the browser to keep the storage (it may decline).
      if (!persistenceAsked && !s.storage?.persisted) {
        persistenceAsked = true;
        void requestPersistence();
      } else void refreshStorage();
    } else if (e.type === 'checkpoint-error') {
      s.onTrainEvent(e);
      void refreshStorage();
    } else run(e);
  };
}

export async function startTraining(): Promise<void> {
  const s = store();
  s.resetRun();
  s.setCheckpoints({ evalSourceName: null, checkpointNotice: null, resumeOffer: null });
  try {
    await worker().train(s.config, callback(trainEvents()));
  } catch (e) {
    store().failRun(errorMessage(e));
  }
  void refreshRuns();
}

/**
 * Continues a stored run: opens its dataset if another is loaded, takes its config (keeping this
 * browser's runtime settings), and trains from its latest checkpoint (or `step`).
 */
export async function resumeRun(run: RunRecord, step?: number): Promise<void> {
  const s = store();
  s.setCheckpoints({ resumeOffer: null, checkpointNotice: null, evalSourceName: null });
  if (s.dataset?.id !== run.dataset.id) {
    if (run.dataset.id.startsWith('sample:')) await loadSampleDataset();
    else if (s.storedDatasets.some((d) => d.id === run.dataset.id)) await openStoredDataset(run.dataset.id);
    else {
      showNotice(
        `run "${run.name}" trained on "${run.dataset.name}", which is no longer stored in this browser: add that folder again, then resume.`,
      );
      return;
    }
    if (store().dataset?.id !== run.dataset.id) return; // opening failed; the dataset panel says why
  }
  // The run's settings with this browser's runtime ones, as the worker resumes it (withRuntime).
  store().setConfig(withRuntime(run.config, store().config));
  store().resetRun();
  try {
    await worker().train(store().config, callback(trainEvents()), { runId: run.runId, step });
  } catch (e) {
    // Refused before it started (the run trains in another tab): nothing failed here.
    if (e instanceof Error && e.name === RUN_OPEN_ELSEWHERE) {
      useStore.setState({ runState: 'idle' });
      showNotice(`Cannot resume: ${errorMessage(e)}`);
    } else store().failRun(errorMessage(e));
  }
  void refreshRuns();
}

export const pauseTraining = () => worker().pause();
export const resumeTraining = () => worker().resume();
export const stopTraining = () => worker().stop();

/** The worker's memory now, or null while it cannot answer (a restart). */
export const readWorkerMemory = () =>
  worker()
    .memory()
    .catch(() => null);
