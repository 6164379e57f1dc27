// Actions that talk to the worker. They live at module level and write the store with setState,
// so they need no hook and the worker's callbacks reach the store directly.
import type { BackendChoice } from '../workers/contract/config';
import { callback, publicBase, worker } from './bridge';
import { useStore } from './store';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function chooseBackend(choice: BackendChoice): Promise<void> {
  const s = useStore.getState();
  s.setBackend(s.backend, 'selecting');
  try {
    const report = await worker().selectBackend(choice);
    useStore.getState().setBackend(report, 'ready');
    // Tensors do not move between backends: a loaded dataset is loaded again on the new one.
    if (useStore.getState().dataset) await loadSampleDataset();
  } catch (e) {
    useStore.getState().setBackend(null, 'failed', message(e));
  }
}

export async function loadSampleDataset(): Promise<void> {
  const s = useStore.getState();
  s.setDatasetStatus('loading');
  try {
    const summary = await worker().loadSample(publicBase(), s.config.testFraction, s.config.seed);
    useStore.getState().setDataset(summary);
  } catch (e) {
    useStore.getState().setDatasetStatus('failed', message(e));
  }
}

export async function startTraining(): Promise<void> {
  const s = useStore.getState();
  s.resetRun();
  try {
    await worker().train(s.config, callback(useStore.getState().onTrainEvent));
  } catch (e) {
    useStore.setState({ runState: 'failed', runMessage: message(e) });
  }
}

export const pauseTraining = () => worker().pause();
export const resumeTraining = () => worker().resume();
export const stopTraining = () => worker().stop();
