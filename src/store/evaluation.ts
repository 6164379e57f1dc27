import type { StateCreator } from 'zustand';
import type { EvalKind, EvalReport } from '../../workers/contract/api';
import type { Store } from './index';

export interface EvalState {
  status: 'idle' | 'running' | 'done' | 'failed';
  progress: { done: number; total: number; startedMs: number } | null;
  report: EvalReport | null;
  error: string | null;
}

export interface EvaluationSlice {
  evaluation: Record<EvalKind, EvalState>;
  setEvaluation: (kind: EvalKind, patch: Partial<EvalState>) => void;
}

const idle: EvalState = { status: 'idle', progress: null, report: null, error: null };

export const createEvaluationSlice: StateCreator<Store, [], [], EvaluationSlice> = (set) => ({
  evaluation: { knn: idle, probe: idle },
  setEvaluation: (kind, patch) => set((s) => ({ evaluation: { ...s.evaluation, [kind]: { ...s.evaluation[kind], ...patch } } })),
});
