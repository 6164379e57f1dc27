import type { StateCreator } from 'zustand';
import type { ClusterReport, CurationReport, EmbeddingPlan, EmbeddingSet } from '../../workers/contract/api';
import type { TaskProgressState } from '../progress';
import type { Store } from '../store';

export type MapMethod = 'pca' | 'umap';
export type ColorBy = 'class' | 'cluster' | 'predicted' | 'outlier' | 'split';

/** The embeddings panel (./EmbeddingsPanel.tsx): the set embedded in the worker and what was
 *  asked of it. Arrays are per image, in the dataset's order. */
export interface EmbedState {
  status: 'idle' | 'running' | 'done' | 'failed';
  progress: TaskProgressState | null;
  error: string | null;
  plan: EmbeddingPlan | null;
  withRandom: boolean;
  set: EmbeddingSet | null;
  method: MapMethod;
  /** UMAP layouts as they settle (null until asked); PCA's are in the set. */
  umap: { trained: Float32Array | null; random: Float32Array | null; epoch: number; epochs: number; settling: boolean };
  colorBy: ColorBy;
  curation: CurationReport | null;
  clusters: ClusterReport | null;
  /** A name per cluster of `clusters`, editable. */
  clusterNames: string[];
  suggestion: { best: number; scores: { k: number; silhouette: number }[] } | null;
  /** Labels given to selections, per image; they win over the cluster's name. */
  named: Record<number, string>;
  selection: number[];
  hover: number | null;
  /** The nearest images of `of` (dataset images) or of a new image `file`. */
  neighbours: { of: number[]; file?: string; indices: number[]; sims: number[] } | null;
  diverse: number[] | null;
  busy: string | null; // the curation step running ("k-means", "duplicates and outliers", ...)
}

export const emptyEmbed: EmbedState = {
  status: 'idle',
  progress: null,
  error: null,
  plan: null,
  withRandom: true,
  set: null,
  method: 'pca',
  umap: { trained: null, random: null, epoch: 0, epochs: 0, settling: false },
  colorBy: 'class',
  curation: null,
  clusters: null,
  clusterNames: [],
  suggestion: null,
  named: {},
  selection: [],
  hover: null,
  neighbours: null,
  diverse: null,
  busy: null,
};

export interface EmbedSlice {
  embed: EmbedState;
  setEmbed: (patch: Partial<EmbedState>) => void;
}

export const createEmbedSlice: StateCreator<Store, [], [], EmbedSlice> = (set) => ({
  embed: emptyEmbed,
  setEmbed: (patch) => set((s) => ({ embed: { ...s.embed, ...patch } })),
});

/** The embeddings state's fields named by `keys`, for a component's selector (with useShallow, it
 *  re-renders only when one of them changes: a UMAP frame leaves the curation lists alone). */
export const pickEmbed =
  <K extends keyof EmbedState>(...keys: K[]) =>
  (s: Store): Pick<EmbedState, K> => {
    const out = {} as Pick<EmbedState, K>;
    for (const k of keys) out[k] = s.embed[k];
    return out;
  };
