// The studio's state: one slice per concern, combined once here.
import { create } from 'zustand';
import { createBackendSlice, type BackendSlice } from '../backend/slice';
import { createCheckpointSlice, type CheckpointSlice } from '../checkpoint/slice';
import { createCompareSlice, type CompareSlice } from '../compare/slice';
import { createConfigSlice, type ConfigSlice } from '../config/slice';
import { createDatasetSlice, type DatasetSlice } from '../dataset/slice';
import { createEmbedSlice, type EmbedSlice } from '../embed/slice';
import { createEvalSlice, type EvalSlice } from '../eval/slice';
import { createTrainSlice, type TrainSlice } from '../train/slice';

export type Store = ConfigSlice & BackendSlice & DatasetSlice & TrainSlice & EvalSlice & EmbedSlice & CheckpointSlice & CompareSlice;

export const useStore = create<Store>()((...a) => ({
  ...createConfigSlice(...a),
  ...createBackendSlice(...a),
  ...createDatasetSlice(...a),
  ...createTrainSlice(...a),
  ...createEvalSlice(...a),
  ...createEmbedSlice(...a),
  ...createCheckpointSlice(...a),
  ...createCompareSlice(...a),
}));
