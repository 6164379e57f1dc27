// Evaluation: the probe, k-NN and the baselines, the feature map and its neighbour gallery, and
// which weights they evaluate (a stored checkpoint or the last run). Module level, writing the
// store, as the other actions (src/backend/actions.ts).
import type { EvalKind } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, worker } from '../bridge';
import { refreshRuns, showNotice } from '../notices';
import { useStore } from '../store';
import { runActive, runTraining } from '../store/selectors';
import { resplitDataset } from '../dataset/actions';
import { startTraining, stopTraining } from '../train/actions';
import { REPEAT_KINDS, type SeedResult } from './repeat';
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

let repeatStopped = false;

/** Resolves once the run's final state has reached the store (its events arrive throttled, after
 *  the worker's train call returns). */
function runSettled(): Promise<void> {
  return new Promise((resolve) => {
    if (!runActive(store())) return resolve();
    const unsubscribe = useStore.subscribe((s) => {
      if (runActive(s)) return;
      unsubscribe();
      resolve();
    });
  });
}

/**
 * Trains the current settings under `n` seeds from the current one (each seed draws its own split),
 * runs k-NN and the probe after each, and keeps their top-1s for the mean ± sd table; the seed the
 * page had comes back at the end. Stop ends the run in progress and keeps the seeds done.
 */
export async function repeatOverSeeds(n: number): Promise<void> {
  const base = store().config.seed;
  const seeds = Array.from({ length: n }, (_, i) => base + i);
  repeatStopped = false;
  store().setRepeat({ status: 'running', seeds, results: [], error: null });
  try {
    for (const seed of seeds) {
      store().setConfig({ seed });
      await resplitDataset();
      await startTraining();
      await runSettled();
      if (repeatStopped) break;
      if (store().runState !== 'done')
        throw new Error(`the run of seed ${seed} ended ${store().runState}: ${store().runMessage ?? 'see Train'}`);
      const top1 = { knn: {}, probe: {} } as SeedResult['top1'];
      for (const kind of REPEAT_KINDS) {
        await runEvaluation(kind);
        const e = store().evaluation[kind];
        if (!e.report) throw new Error(`${kind === 'knn' ? 'k-NN' : 'the probe'} of seed ${seed} failed: ${e.error ?? 'no report'}`);
        for (const r of e.report.rows) top1[kind][r.name] = r.top1;
        if (repeatStopped) break;
      }
      store().setRepeat({ results: [...store().repeat.results, { seed, step: store().step, top1 }] });
      if (repeatStopped) break;
    }
    store().setRepeat({ status: repeatStopped ? 'stopped' : 'done' });
  } catch (e) {
    store().setRepeat({ status: 'failed', error: errorMessage(e) });
  } finally {
    if (store().config.seed !== base) {
      store().setConfig({ seed: base });
      await resplitDataset();
    }
  }
}

/** Ends a repeat after the step it is on: the run in progress stops, the seeds done stay. */
export function stopRepeat(): void {
  repeatStopped = true;
  if (runTraining(store())) void stopTraining();
  else void cancelEvaluation();
}

/** Evaluations (Probe, k-NN, map) use this stored checkpoint until a run starts or it is cleared. */
export async function evaluateCheckpoint(runId: string | null, step?: number): Promise<void> {
  try {
    const name = await worker().evaluateCheckpoint(runId ? { runId, step } : null);
    store().setCheckpoints({ evalSourceName: name, checkpointNotice: null });
    document.querySelector('[data-testid="eval-panel"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (e) {
    showNotice(`Cannot evaluate that checkpoint: ${errorMessage(e)}`);
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
