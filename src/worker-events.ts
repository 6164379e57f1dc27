// Starting the studio's worker side, on page load and again each time the worker died: src/bridge.ts
// finds it dead and replaces it; the listener here says what happened and starts over.
import { chooseBackend, distrustWebgpu } from './backend/actions';
import { onWorkerLost } from './bridge';
import { offerResume } from './checkpoint/actions';
import { restoreLastDataset } from './dataset/actions';
import { showNotice } from './notices';
import { useStore } from './store';
import { runActive } from './store/selectors';

/**
 * Starts the studio's worker side: the backend, the last dataset, the offer to resume. On page
 * load, and again when the worker died: then the run that was training is marked failed with the
 * reason, and its last checkpoint is offered for Resume.
 */
export function startWorker(): void {
  // The backend is measured in the background: the data, the settings and the stored runs are
  // usable at once; only what computes (Train, Resume, evaluation) waits for it.
  void chooseBackend(useStore.getState().config.backend);
  void restoreLastDataset().then(offerResume);
}

onWorkerLost((why, gpuLost) => {
  if (gpuLost) distrustWebgpu();
  const wasTraining = runActive(useStore.getState());
  if (wasTraining) useStore.getState().failRun(`${why}. A new worker was started; resume from the last checkpoint below.`);
  showNotice(`${why}. A new worker was started${wasTraining ? '; the run can resume from its last checkpoint' : ''}.`, true, 'worker');
  startWorker();
});
