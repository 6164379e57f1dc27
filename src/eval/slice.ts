import type { StateCreator } from 'zustand';
import type { EvalKind, EvalReport, FeatureMap, NeighbourGallery } from '../../workers/contract/api';
import type { TaskProgressState } from '../progress';
import type { Store } from '../store';
import type { SeedResult } from './repeat';

interface EvalState {
  status: 'idle' | 'running' | 'done' | 'failed';
  progress: TaskProgressState | null;
  report: EvalReport | null;
  error: string | null;
}

export interface MapState {
  status: 'idle' | 'running' | 'done' | 'failed';
  progress: TaskProgressState | null;
  map: FeatureMap | null;
  error: string | null;
}

export interface GalleryState {
  status: 'idle' | 'loading' | 'done' | 'failed';
  test: number | null; // the test image asked for
  gallery: NeighbourGallery | null;
  error: string | null;
}

/** "Repeat over seeds" (./repeat.ts): the seeds asked for, those done, and where it stands. */
export interface RepeatState {
  status: 'idle' | 'running' | 'done' | 'stopped' | 'failed';
  seeds: number[];
  results: SeedResult[];
  error: string | null;
}

export interface EvalSlice {
  repeat: RepeatState;
  setRepeat: (patch: Partial<RepeatState>) => void;
  evaluation: Record<EvalKind, EvalState>;
  featureMap: MapState;
  gallery: GalleryState;
  setEvaluation: (kind: EvalKind, patch: Partial<EvalState>) => void;
  setFeatureMap: (patch: Partial<MapState>) => void;
  setGallery: (patch: Partial<GalleryState>) => void;
}

const idle: EvalState = { status: 'idle', progress: null, report: null, error: null };
export const closedGallery: GalleryState = { status: 'idle', test: null, gallery: null, error: null };

export const createEvalSlice: StateCreator<Store, [], [], EvalSlice> = (set) => ({
  evaluation: { knn: idle, probe: idle, finetune: idle, supervised: idle },
  repeat: { status: 'idle', seeds: [], results: [], error: null },
  setRepeat: (patch) => set((s) => ({ repeat: { ...s.repeat, ...patch } })),
  featureMap: { status: 'idle', progress: null, map: null, error: null },
  gallery: closedGallery,
  setEvaluation: (kind, patch) => set((s) => ({ evaluation: { ...s.evaluation, [kind]: { ...s.evaluation[kind], ...patch } } })),
  setFeatureMap: (patch) => set((s) => ({ featureMap: { ...s.featureMap, ...patch } })),
  setGallery: (patch) => set((s) => ({ gallery: { ...s.gallery, ...patch } })),
});
