// What the worker's calls (./backend.ts, dataset.ts, train.ts, eval.ts, embed.ts, checkpoint.ts)
// share, and the guards they check it with. One worker holds one of each, so module state is the
// state: a property of `state` is assigned from every call file, which a module-level `let` would not allow.
import type { BackendReport, EvalReport } from '../contract/api';
import type { Dataset } from '../dataset/dataset';
import { FeatureCache } from '../eval/cache';
import type { ProbeHead } from '../eval/probe';
import { takeWeights, type EvalWeights } from '../eval/session';
import { releaseRun, type RunControl, type TrainedRun } from '../train/run';

export interface WorkerState {
  dataset: Dataset | null;
  backend: BackendReport | null;
  /** True while a backend is being chosen: nothing that computes may start. */
  selecting: boolean;
  /** The lost-device hook of the GPU backend chosen last (workers/backend/select.ts). */
  gpu: { destroy(): void } | null;
  control: RunControl | null;
  lastRun: TrainedRun | null;
  /** The run trained last (or now). */
  currentRunId: string | null;
  /** Names the weights of each run in the feature cache. */
  runCount: number;
  /** A stored checkpoint chosen for evaluation (Evaluate in the checkpoint list), or null. */
  evalCheckpoint: { key: string; name: string; runId: string; run: TrainedRun } | null;
  /** Evaluations and feature maps in progress. */
  evaluations: number;
  /** Cancel moves it on; an evaluation stops once it has moved. */
  evalGeneration: number;
  /** Set by cancelIngest; the ingest running reads it between files. */
  ingestCancelled: boolean;
  /** The removal of orphaned checkpoints (../checkpoint/run-db.ts removeOrphans), started by the first listRuns. */
  orphansChecked: Promise<number> | undefined;
}

export const state: WorkerState = {
  dataset: null,
  backend: null,
  selecting: false,
  gpu: null,
  control: null,
  lastRun: null,
  currentRunId: null,
  runCount: 0,
  evalCheckpoint: null,
  evaluations: 0,
  evalGeneration: 0,
  ingestCancelled: false,
  orphansChecked: undefined,
};

export const features = new FeatureCache();
/** Fine-tune and supervised reports, by weights and settings (the last 16). */
export const baselines = new Map<string, EvalReport>();
/** The last linear probe of each trained encoder's features (by feature key), for inference. */
export const probeHeads = new Map<string, ProbeHead>();

export function rememberBaseline(key: string, report: EvalReport): void {
  baselines.set(key, report);
  if (baselines.size > 16) baselines.delete(baselines.keys().next().value!);
}

export function rememberProbeHead(key: string, head: ProbeHead): void {
  probeHeads.set(key, head);
  if (probeHeads.size > 8) probeHeads.delete(probeHeads.keys().next().value!); // the oldest goes
}

/** The loaded dataset, or `message` thrown: each call names what needs it. After an await, call it
 *  again to read the dataset loaded then (the UI may have opened another meanwhile). */
export function requireDataset(message = 'load a dataset first'): Dataset {
  if (!state.dataset) throw new Error(message);
  return state.dataset;
}

/** Whether a run trains now (started, not yet stopped). */
export const training = (): boolean => !!state.control && !state.control.stopped;

/** Whether this worker is training `runId` now (its lock is then this tab's own). */
export const trainingHere = (runId: string): boolean => training() && runId === state.currentRunId;

/** Throws while a run trains: "stop the running training before `what`", or, without `what`
 *  (a second run asked for), that one is already in progress. */
export function requireIdle(what?: string): void {
  if (training()) throw new Error(what ? `stop the running training before ${what}` : 'a run is already in progress');
}

/** Throws while no backend is chosen: the UI keeps what computes disabled until then. */
export function requireBackend(): void {
  if (!state.backend || state.selecting)
    throw new Error('the backend is still being measured: this starts once it is chosen (Skip, beside Train, ends the measurement)');
}

/** The weights to evaluate, copied now: the finished or stopped run's, or, while a run trains,
 *  a snapshot at its current step (the run goes on; later steps do not reach the copy). */
export function evalWeights(): EvalWeights {
  const { evalCheckpoint, control, lastRun, runCount } = state;
  if (evalCheckpoint) return takeWeights(evalCheckpoint.key, evalCheckpoint.run, false);
  if (control && training()) {
    const live = control.live?.();
    if (!live) throw new Error('the run is still preparing: evaluate once its first step has run');
    return takeWeights(`run${runCount}`, live, true);
  }
  if (!lastRun) throw new Error('train first: there are no trained weights to evaluate yet');
  return takeWeights(`run${runCount}`, lastRun, false);
}

/** Runs `f` on a copy of the weights to evaluate (evalWeights), counted as an evaluation in
 *  progress (checkKernels waits for none to run); the copy is freed when `f` settles. */
export async function withEvalWeights<T>(f: (w: EvalWeights) => Promise<T>): Promise<T> {
  const w = evalWeights();
  state.evaluations++;
  try {
    return await f(w);
  } finally {
    state.evaluations--;
    w.model.dispose();
  }
}

/** A cancel check for an evaluation starting now. */
export function cancelCheck(): () => boolean {
  const generation = state.evalGeneration;
  return () => generation !== state.evalGeneration;
}

export function disposeRun(): void {
  if (state.lastRun) releaseRun(state.lastRun);
  state.lastRun = null;
  features.clear('run'); // every run's features; raw pixels stay
}

export function disposeEvalCheckpoint(): void {
  if (state.evalCheckpoint) releaseRun(state.evalCheckpoint.run);
  state.evalCheckpoint = null;
}
