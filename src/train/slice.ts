import type { StateCreator } from 'zustand';
import type {
  BudgetPlan,
  DiagnosticsRecord,
  KnnBaselines,
  KnnRecord,
  MetricRecord,
  PhaseReport,
  RunState,
  TrainEvent,
  WarningKind,
} from '../../workers/contract/api';
import { appendHistory } from '../../workers/contract/history';
import type { Store } from '../store';

/** The charts keep at most this many per-step records, spread over the whole run (a long run's
 *  older points thinned), so the page's memory stays bounded however long a run trains. */
export const UI_HISTORY_LIMIT = 4000;
/** Diagnostics records carry per-dimension statistics: fewer are kept. */
export const UI_DIAGNOSTICS_LIMIT = 1000;

export interface TrainingWarning {
  step: number;
  kind: WarningKind;
  message: string;
}

export interface TrainSlice {
  runState: RunState;
  step: number;
  totalSteps: number;
  runMessage: string | null;
  /** Wall-clock ms when the current running stretch began, and the step it began at (for the ETA). */
  etaAnchor: { ms: number; step: number } | null;
  metrics: MetricRecord[];
  diagnostics: DiagnosticsRecord[];
  /** Online k-NN points and their reference lines (raw pixels, random init on the same subsets). */
  knn: KnnRecord[];
  knnBaselines: KnnBaselines | null;
  /** How the run's time budget was turned into epochs, once the first steps were timed. */
  budgetPlan: BudgetPlan | null;
  trainingWarnings: TrainingWarning[];
  /** Where the training loop's time went so far (workers/train/phases.ts). */
  phases: PhaseReport | null;
  resetRun: () => void;
  /** The run ended with an error outside the worker's own report (a refused start, a dead worker). */
  failRun: (message: string) => void;
  /**
   * Applies one worker event to the store: the run's own state here, checkpoint news to the
   * checkpoint list (src/checkpoint/slice.ts). Metrics arrive in windows, appended with one state
   * change each. What an event sets off besides (asking for persistent storage, re-reading the
   * storage estimate) is src/train/actions.ts's.
   */
  onTrainEvent: (e: TrainEvent) => void;
}

/** A run before its first event: no steps, no history, no message. */
const freshRun = () => ({
  step: 0,
  totalSteps: 0,
  runMessage: null,
  etaAnchor: null,
  metrics: [],
  diagnostics: [],
  knn: [],
  knnBaselines: null,
  budgetPlan: null,
  trainingWarnings: [],
  phases: null,
});

export const createTrainSlice: StateCreator<Store, [], [], TrainSlice> = (set, get) => ({
  runState: 'idle',
  ...freshRun(),
  resetRun: () => set({ runState: 'preparing', ...freshRun() }),
  failRun: (message) => set({ runState: 'failed', runMessage: message }),
  onTrainEvent: (e) => {
    if (e.type === 'checkpoint') {
      get().upsertRun(e.run);
      // A save that failed (a full disk) no longer holds once one succeeds.
      if (get().checkpointNotice?.run === 'save') get().setCheckpoints({ checkpointNotice: null });
      return;
    }
    // Set here, not through src/notices.ts: that module imports the store this slice builds (a cycle).
    if (e.type === 'checkpoint-error')
      return get().setCheckpoints({ checkpointNotice: { text: `Checkpoint not saved: ${e.message}`, error: true, run: 'save' } });
    set((s): Partial<Store> => {
      if (e.type === 'metrics') {
        const last = e.records[e.records.length - 1];
        return last ? { metrics: appendHistory(s.metrics, e.records, UI_HISTORY_LIMIT), step: Math.max(s.step, last.step) } : {};
      }
      if (e.type === 'diagnostics') return { diagnostics: appendHistory(s.diagnostics, e.records, UI_DIAGNOSTICS_LIMIT) };
      if (e.type === 'knn') return { knn: s.knn.concat(e.records.filter((r) => !s.knn.some((k) => k.step === r.step))) };
      if (e.type === 'knn-baselines') return { knnBaselines: e.baselines };
      if (e.type === 'budget') return { budgetPlan: e.plan };
      if (e.type === 'phases') return { phases: e.report };
      if (e.type === 'warning') return { trainingWarnings: [...s.trainingWarnings, { step: e.step, kind: e.kind, message: e.message }] };
      // A resumed run: its charts start from the checkpoint's history.
      if (e.type === 'history') {
        return {
          metrics: e.records,
          knn: e.knn ?? [],
          knnBaselines: e.knnBaselines ?? s.knnBaselines,
          diagnostics: e.diagnostics ?? [],
          step: e.records[e.records.length - 1]?.step ?? s.step,
        };
      }
      if (e.type !== 'state') return {};
      const resumed = e.state === 'running' && s.runState !== 'running';
      return {
        runState: e.state,
        totalSteps: e.totalSteps,
        runMessage: e.message ?? null,
        etaAnchor: resumed ? { ms: performance.now(), step: e.step } : s.etaAnchor,
        // The run's id marks its checkpoints in the list as the one training here.
        ...(e.runId && { currentRunId: e.runId }),
      };
    });
  },
});
