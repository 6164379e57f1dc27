// Evaluation: the probe, k-NN and the baselines, the feature map and its neighbour gallery, and
// which weights they evaluate (a stored checkpoint or the last run). Module level, writing the
// store, as the other actions (src/backend/actions.ts).
import type { EvalKind } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, worker } from '../bridge';
import { refreshRuns, showCheckpointNotice } from '../checkpoint/actions';
import { useStore } from '../store';
import { closedGallery } from './slice';

/** The store as it is at the moment of the call (after an await, what changed meanwhile). */
const store = useStore.getState;

export async function runEvaluation(kind: EvalKind): Promise<void> {
  const { config, setEvaluation } = store();
  const startedMs = performance.now();
  setEvaluation(kind, { status: 'running', error: null, progress: { done: 0, total: 1, startedMs } });
  // Each phase has its own bar and clock (LP-FT fits its probe first, then fine-tunes).
  const onProgress = callback((done: number, total: number, phase?: string) => {
    const p = store().evaluation[kind].progress;
    const since = p && p.phase === phase ? p.startedMs : performance.now();
    store().setEvaluation(kind, { progress: { done, total, startedMs: since, phase } });
  });
  try {
    const report = await worker().evaluate(config, kind, onProgress);
    store().setEvaluation(kind, { status: 'done', report, progress: null });
    void refreshRuns(); // the figures are kept with the checkpoint of those weights
  } catch (e) {
    store().setEvaluation(kind, { status: 'failed', error: errorMessage(e), progress: null });
  }
}

export const cancelEvaluation = () => worker().cancelEvaluation();

/** Evaluations (Probe, k-NN, map) use this stored checkpoint until a run starts or it is cleared. */
export async function evaluateCheckpoint(runId: string | null, step?: number): Promise<void> {
  try {
    const name = await worker().evaluateCheckpoint(runId ? { runId, step } : null);
    store().setCheckpoints({ evalSourceName: name, checkpointNotice: null });
    document.querySelector('[data-testid="eval-panel"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (e) {
    showCheckpointNotice(`Cannot evaluate that checkpoint: ${errorMessage(e)}`);
  }
}

export async function drawFeatureMap(): Promise<void> {
  const { config, setFeatureMap, setGallery } = store();
  const startedMs = performance.now();
  setFeatureMap({ status: 'running', error: null, progress: { done: 0, total: 1, startedMs } });
  setGallery(closedGallery);
  const onProgress = callback((done: number, total: number) => store().setFeatureMap({ progress: { done, total, startedMs } }));
  try {
    const map = await worker().featureMap(config, onProgress);
    store().setFeatureMap({ status: 'done', map, progress: null });
  } catch (e) {
    store().setFeatureMap({ status: 'failed', error: errorMessage(e), progress: null });
  }
}

/** Opens the gallery of test image `test` (a position in the test split) of the map on screen. */
export async function openNeighbours(test: number): Promise<void> {
  const { featureMap, config, setGallery } = store();
  if (!featureMap.map) return;
  setGallery({ status: 'loading', test, error: null });
  try {
    const gallery = await worker().neighbours(featureMap.map.key, test, config.knnK);
    // A later click wins over an earlier answer.
    if (store().gallery.test === test) setGallery({ status: 'done', gallery });
  } catch (e) {
    if (store().gallery.test === test) setGallery({ status: 'failed', error: errorMessage(e) });
  }
}

export const closeNeighbours = () => store().setGallery(closedGallery);
