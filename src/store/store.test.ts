// The store without React: what each training event leaves in it, and the derived state the
// panels read (./selectors.ts). zustand's store is plain JavaScript, so this runs in Node.
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  BackendReport,
  CheckpointInfo,
  DatasetSummary,
  DiagnosticsRecord,
  KnnBaselines,
  MetricRecord,
  RunHistory,
  RunRecord,
  RunState,
} from '../../workers/contract/api';
import { DEFAULT_CONFIG } from '../../workers/contract/config';
import { closedGallery } from '../eval/slice';
import { useStore } from '.';
import {
  backendReady,
  evaluating,
  evaluationBlocked,
  hasWeights,
  loadingData,
  mapping,
  mayOfferResume,
  runActive,
  runTraining,
} from './selectors';

const store = useStore.getState;
const emit = (e: Parameters<ReturnType<typeof store>['onTrainEvent']>[0]) => store().onTrainEvent(e);

const metric = (step: number): MetricRecord => ({
  step,
  epoch: 0,
  lr: 0.1,
  loss: 10 / step,
  invariance: 1,
  variance: 0.5,
  covariance: 0.25,
  gammaT: 1,
  imagesPerSec: 100,
  msPerStep: 10,
});

const stats = { stdMin: 0.1, stdMean: 0.5, stdMax: 0.9, cosine: 0.2, covSq: 0.01, rankMe: 12 };
const diagnostic = (step: number): DiagnosticsRecord => ({ step, projector: stats, backbone: { ...stats, rankMe: 30 } });

const baselines: KnnBaselines = { pixels: 0.4, random: 0.3, trainCount: 500, testCount: 200, features: 'backbone', every: 50 };

function checkpoint(step: number): CheckpointInfo {
  return { key: `k${step}`, step, epoch: 0, createdAt: 1000 * step, bytes: 4096, reason: 'interval', last: metric(step) };
}

function runRecord(runId: string, steps: number[]): RunRecord {
  return {
    runId,
    name: `run ${runId}`,
    dataset: { id: 'sample:fashion', name: 'Fashion-MNIST' },
    config: DEFAULT_CONFIG,
    totalSteps: 100,
    finished: false,
    updatedAt: 0,
    checkpoints: steps.map(checkpoint),
  };
}

const dataset: DatasetSummary = {
  id: 'sample:fashion',
  name: 'Fashion-MNIST',
  source: 'sample',
  count: 100,
  height: 28,
  width: 28,
  classes: [
    { name: 'shirt', count: 50 },
    { name: 'shoe', count: 50 },
  ],
  unlabeled: false,
  grayscale: true,
  trainCount: 80,
  testCount: 20,
  skipped: [],
};

const report: BackendReport = {
  active: 'wasm',
  requested: 'auto',
  chosenBy: 'measured',
  attempts: [{ name: 'wasm', ok: true, msPerImage: 2 }],
};

beforeEach(() => useStore.setState(useStore.getInitialState(), true));

describe('the training-event handler (onTrainEvent)', () => {
  it('state: takes the run state, total and message, anchors the ETA when running starts, and names the run', () => {
    store().resetRun();
    emit({ type: 'state', state: 'running', step: 40, totalSteps: 100, runId: 'r1' });
    const s = store();
    expect(s.runState).toBe('running');
    expect(s.totalSteps).toBe(100);
    expect(s.runMessage).toBeNull();
    expect(s.currentRunId).toBe('r1');
    expect(s.etaAnchor?.step).toBe(40);
    const anchor = s.etaAnchor;
    // Still running: the anchor stays; paused with a message, and without an id the run keeps its name.
    emit({ type: 'state', state: 'running', step: 60, totalSteps: 120 });
    expect(store().etaAnchor).toBe(anchor);
    expect(store().totalSteps).toBe(120);
    emit({ type: 'state', state: 'paused', step: 61, totalSteps: 120, message: 'paused by the user' });
    expect(store().runState).toBe('paused');
    expect(store().runMessage).toBe('paused by the user');
    expect(store().currentRunId).toBe('r1');
    // Running again after the pause: a new anchor at the step it resumed from.
    emit({ type: 'state', state: 'running', step: 61, totalSteps: 120, runId: 'r1' });
    expect(store().etaAnchor?.step).toBe(61);
    expect(store().runMessage).toBeNull();
  });

  it('metrics: appends the window and moves the step to its last record, never back', () => {
    emit({ type: 'metrics', records: [metric(1), metric(2), metric(3)] });
    expect(store().metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(store().step).toBe(3);
    emit({ type: 'metrics', records: [metric(4)] });
    expect(store().metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(store().step).toBe(4);
    useStore.setState({ step: 10 });
    emit({ type: 'metrics', records: [metric(5)] });
    expect(store().step).toBe(10);
    // An empty window changes nothing.
    const before = store().metrics;
    emit({ type: 'metrics', records: [] });
    expect(store().metrics).toBe(before);
  });

  it('diagnostics: appends the records and leaves the step alone', () => {
    emit({ type: 'diagnostics', records: [diagnostic(5), diagnostic(10)] });
    emit({ type: 'diagnostics', records: [diagnostic(15)] });
    expect(store().diagnostics.map((d) => d.step)).toEqual([5, 10, 15]);
    expect(store().diagnostics[2].backbone.rankMe).toBe(30);
    expect(store().step).toBe(0);
  });

  it('knn: appends points, skipping a step already charted', () => {
    emit({ type: 'knn', records: [{ step: 50, epoch: 0, top1: 0.5 }] });
    emit({
      type: 'knn',
      records: [
        { step: 50, epoch: 0, top1: 0.9 },
        { step: 100, epoch: 1, top1: 0.6 },
      ],
    });
    expect(store().knn).toEqual([
      { step: 50, epoch: 0, top1: 0.5 },
      { step: 100, epoch: 1, top1: 0.6 },
    ]);
  });

  it('knn-baselines: sets the reference lines', () => {
    emit({ type: 'knn-baselines', baselines });
    expect(store().knnBaselines).toEqual(baselines);
  });

  it('budget: sets the plan', () => {
    const plan = { budgetMinutes: 5, msPerStep: 120, epochs: 7, totalSteps: 350, fits: true };
    emit({ type: 'budget', plan });
    expect(store().budgetPlan).toEqual(plan);
  });

  it('warning: appends step, kind and message, in order', () => {
    emit({ type: 'warning', step: 20, kind: 'std-collapse', message: 'dimensions collapsed' });
    emit({ type: 'warning', step: 30, kind: 'non-finite', message: 'the loss is NaN' });
    expect(store().trainingWarnings).toEqual([
      { step: 20, kind: 'std-collapse', message: 'dimensions collapsed' },
      { step: 30, kind: 'non-finite', message: 'the loss is NaN' },
    ]);
  });

  it('checkpoint: puts the run first in the list, replacing its older record', () => {
    store().setRuns([runRecord('old', [10]), runRecord('r1', [10])]);
    const updated = runRecord('r1', [10, 20]);
    emit({ type: 'checkpoint', info: checkpoint(20), run: updated });
    expect(store().runs.map((r) => r.runId)).toEqual(['r1', 'old']);
    expect(store().runs[0].checkpoints.map((c) => c.step)).toEqual([10, 20]);
    // A new run is added in front as well; the run's own state is untouched.
    emit({ type: 'checkpoint', info: checkpoint(5), run: runRecord('new', [5]) });
    expect(store().runs.map((r) => r.runId)).toEqual(['new', 'r1', 'old']);
    expect(store().runState).toBe('idle');
  });

  it('checkpoint-error: shows the message as an error notice of the run, until a later save succeeds', () => {
    emit({ type: 'checkpoint-error', message: 'the disk is full: checkpoint at step 40 not saved' });
    expect(store().checkpointNotice).toEqual({
      text: 'Checkpoint not saved: the disk is full: checkpoint at step 40 not saved',
      error: true,
      run: 'save',
    });
    expect(store().runs).toEqual([]);
    emit({ type: 'checkpoint', info: checkpoint(50), run: runRecord('r1', [50]) });
    expect(store().checkpointNotice).toBeNull();
  });

  it('a save that succeeds leaves a notice that is not about saving', () => {
    store().setCheckpoints({ checkpointNotice: { text: 'Imported x', error: false } });
    emit({ type: 'checkpoint', info: checkpoint(50), run: runRecord('r1', [50]) });
    expect(store().checkpointNotice).toEqual({ text: 'Imported x', error: false });
  });

  it('history: a resumed run starts from the checkpoint history, keeping baselines it does not carry', () => {
    emit({ type: 'knn-baselines', baselines });
    emit({ type: 'metrics', records: [metric(1)] });
    emit({ type: 'history', records: [metric(10), metric(20)], knn: [{ step: 20, epoch: 0, top1: 0.7 }], diagnostics: [diagnostic(20)] });
    let s = store();
    expect(s.metrics.map((m) => m.step)).toEqual([10, 20]);
    expect(s.step).toBe(20);
    expect(s.knn.map((k) => k.step)).toEqual([20]);
    expect(s.diagnostics.map((d) => d.step)).toEqual([20]);
    expect(s.knnBaselines).toEqual(baselines);
    // A history without k-NN or diagnostics clears them; an empty one keeps the step.
    emit({ type: 'history', records: [] });
    s = store();
    expect(s.metrics).toEqual([]);
    expect(s.knn).toEqual([]);
    expect(s.diagnostics).toEqual([]);
    expect(s.step).toBe(20);
  });

  it('resetRun clears the last run and marks the new one preparing; failRun keeps the reason', () => {
    emit({ type: 'metrics', records: [metric(1)] });
    emit({ type: 'warning', step: 1, kind: 'cosine', message: 'cosine near 1' });
    emit({ type: 'state', state: 'done', step: 1, totalSteps: 1, message: 'finished' });
    store().resetRun();
    const s = store();
    expect(s.runState).toBe('preparing');
    expect([s.step, s.totalSteps, s.metrics.length, s.trainingWarnings.length]).toEqual([0, 0, 0, 0]);
    expect(s.runMessage).toBeNull();
    expect(s.etaAnchor).toBeNull();
    store().failRun('the worker stopped');
    expect(store().runState).toBe('failed');
    expect(store().runMessage).toBe('the worker stopped');
  });
});

describe('the backend slice', () => {
  it('setBackend clears the kernel check, and the measuring progress once a backend is chosen or failed', () => {
    useStore.setState({
      kernelCheck: { status: 'failed', error: 'x' },
      backendProgress: { name: 'wasm', index: 0, total: 2, tookMs: [], at: 0 },
    });
    store().setBackend(null, 'selecting');
    expect(store().kernelCheck).toBeNull();
    expect(store().backendProgress?.name).toBe('wasm');
    store().setBackend(report, 'ready');
    expect(store().backend).toEqual(report);
    expect(store().backendProgress).toBeNull();
    store().setBackend(null, 'failed', 'no backend could train');
    expect(store().backendStatus).toBe('failed');
    expect(store().backendError).toBe('no backend could train');
  });
});

describe('the compare slice', () => {
  const history = (runId: string): RunHistory => ({
    runId,
    name: `run ${runId}`,
    config: DEFAULT_CONFIG,
    metrics: [metric(1)],
    diagnostics: [],
    knn: [],
    knnBaselines: null,
  });

  it('keeps the ticked runs in order; a run no longer stored leaves it with the list that drops it', () => {
    store().setRuns([runRecord('a', [10]), runRecord('b', [10]), runRecord('c', [10])]);
    store().setCompare([history('b'), history('a'), history('c')]);
    expect(store().compare.map((h) => h.runId)).toEqual(['b', 'a', 'c']);
    store().setRuns([runRecord('c', [10]), runRecord('b', [10])]);
    expect(store().compare.map((h) => h.runId)).toEqual(['b', 'c']);
    // A checkpoint of a compared run leaves the comparison alone.
    emit({ type: 'checkpoint', info: checkpoint(20), run: runRecord('b', [10, 20]) });
    expect(store().compare.map((h) => h.runId)).toEqual(['b', 'c']);
  });
});

describe('the selectors', () => {
  const STATES: RunState[] = ['idle', 'preparing', 'running', 'paused', 'stopped', 'done', 'failed'];
  const where = (f: (s: ReturnType<typeof store>) => boolean) =>
    STATES.filter((runState) => {
      useStore.setState({ runState });
      return f(store());
    });

  it('runActive: from preparing to the end of the run', () => {
    expect(where(runActive)).toEqual(['preparing', 'running', 'paused']);
  });

  it('runTraining: running or paused', () => {
    expect(where(runTraining)).toEqual(['running', 'paused']);
  });

  it('hasWeights: training, or ended by Stop or at the last step', () => {
    expect(where(hasWeights)).toEqual(['running', 'paused', 'stopped', 'done']);
  });

  it('mayOfferResume: idle or failed', () => {
    expect(where(mayOfferResume)).toEqual(['idle', 'failed']);
  });

  it('backendReady, loadingData', () => {
    expect(backendReady(store())).toBe(false);
    store().setBackend(report, 'ready');
    expect(backendReady(store())).toBe(true);
    expect(loadingData(store())).toBe(false);
    store().setDatasetStatus('ingesting');
    expect(loadingData(store())).toBe(true);
    store().setDatasetStatus('loading');
    expect(loadingData(store())).toBe(true);
    store().setDataset(dataset);
    expect(loadingData(store())).toBe(false);
  });

  it('evaluating counts the four evaluations, mapping the feature map', () => {
    expect([evaluating(store()), mapping(store())]).toEqual([false, false]);
    store().setEvaluation('finetune', { status: 'running' });
    expect([evaluating(store()), mapping(store())]).toEqual([true, false]);
    store().setEvaluation('finetune', { status: 'done' });
    store().setFeatureMap({ status: 'running' });
    store().setGallery(closedGallery);
    expect([evaluating(store()), mapping(store())]).toEqual([false, true]);
  });

  it('evaluationBlocked: the first reason, or null', () => {
    const blocked = () => evaluationBlocked(store());
    expect(blocked()).toBe('Load a dataset first.');
    store().setDataset({ ...dataset, unlabeled: true, classes: [] });
    expect(blocked()).toBe('Probe and k-NN need class subfolders: this dataset is unlabeled.');
    store().setDataset({ ...dataset, classes: [{ name: 'shirt', count: 100 }] });
    expect(blocked()).toBe('Probe and k-NN need at least two classes.');
    store().setDataset({ ...dataset, testCount: 0 });
    expect(blocked()).toBe('The test split is empty: raise testFraction.');
    store().setDataset(dataset);
    expect(blocked()).toBe('Evaluation waits for the backend to be chosen (see Train).');
    store().setBackend(report, 'ready');
    expect(blocked()).toBe('Train first: there are no trained weights yet.');
    store().resetRun();
    expect(blocked()).toBe('Training is starting: evaluate once its first step has run.');
    // A stored checkpoint chosen for evaluation needs no run of this visit.
    store().setCheckpoints({ evalSourceName: 'run A, step 40' });
    expect(blocked()).toBeNull();
    store().setCheckpoints({ evalSourceName: null });
    for (const state of ['running', 'paused', 'stopped', 'done'] as const) {
      emit({ type: 'state', state, step: 1, totalSteps: 10 });
      expect(blocked()).toBeNull();
    }
    emit({ type: 'state', state: 'failed', step: 1, totalSteps: 10 });
    expect(blocked()).toBe('Train first: there are no trained weights yet.');
  });
});
