// Derived state that more than one panel (or action) reads: one definition each, so that the
// panels agree on what "a run is in progress" or "there are weights to evaluate" means.
import type { Store } from '.';

/** A run holds the worker, from Train or Resume until it ends: settings, data, the backend and the
 *  checkpoint actions wait meanwhile. 'preparing' counts: the UI sets it before the worker answers. */
export const runActive = (s: Store): boolean => s.runState === 'preparing' || s.runState === 'running' || s.runState === 'paused';

/** The run has taken its first steps and not ended: its weights live in the worker (a snapshot can
 *  be evaluated, a checkpoint saved now). The worker reports these two states with the run's id. */
export const runTraining = (s: Store): boolean => s.runState === 'running' || s.runState === 'paused';

/** The worker holds this visit's trained weights: training, or ended by Stop or at the last step. */
export const hasWeights = (s: Store): boolean => runTraining(s) || s.runState === 'done' || s.runState === 'stopped';

/** No run of this visit holds weights: nothing yet, or the worker died mid-run ('failed'). Only then
 *  is a stored unfinished run offered for resuming. */
export const mayOfferResume = (s: Store): boolean => s.runState === 'idle' || s.runState === 'failed';

/** A dataset is being loaded or ingested: another cannot start meanwhile. */
export const loadingData = (s: Store): boolean => s.datasetStatus === 'loading' || s.datasetStatus === 'ingesting';

/** Training, evaluation and the TF.js exports compute: they wait for a backend. */
export const backendReady = (s: Store): boolean => s.backendStatus === 'ready';

/** One of the four evaluations (probe, k-NN, fine-tune, supervised) is computing. */
export const evaluating = (s: Store): boolean => Object.values(s.evaluation).some((e) => e.status === 'running');

/** The feature map is being computed. */
export const mapping = (s: Store): boolean => s.featureMap.status === 'running';

/** Why evaluation (and inference, which uses the evaluated weights) cannot run now, or null when it can. */
export function evaluationBlocked(s: Store): string | null {
  if (!s.dataset) return 'Load a dataset first.';
  if (s.dataset.unlabeled) return 'Probe and k-NN need class subfolders: this dataset is unlabeled.';
  if (s.dataset.classes.length < 2) return 'Probe and k-NN need at least two classes.';
  if (s.dataset.testCount === 0) return 'The test split is empty: raise testFraction.';
  if (!backendReady(s)) return 'Evaluation waits for the backend to be chosen (see Train).';
  if (s.evalSourceName) return null; // a stored checkpoint is chosen (Checkpoints, Evaluate)
  if (s.runState === 'preparing') return 'Training is starting: evaluate once its first step has run.';
  if (!hasWeights(s)) return 'Train first: there are no trained weights yet.';
  return null;
}

/** Why the dataset cannot be mapped now (embeddings panel), or null when it can: unlike k-NN and
 *  the probe it needs no labels. */
export function embeddingBlocked(s: Store): string | null {
  if (!s.dataset) return 'Load a dataset first.';
  if (!backendReady(s)) return 'Mapping waits for the backend to be chosen (see Train).';
  if (s.evalSourceName) return null;
  if (s.runState === 'preparing') return 'Training is starting: map once its first step has run.';
  if (!hasWeights(s)) return 'Train first (or Evaluate a stored checkpoint): the map shows what an encoder learned.';
  return null;
}
