// The studio's state: one slice per concern, combined once here.
import { create } from 'zustand';
import { createBackendSlice, type BackendSlice } from '../backend/slice';
import { createCheckpointsSlice, type CheckpointsSlice } from '../checkpoint/slice';
import { createConfigSlice, type ConfigSlice } from '../config/slice';
import { createDatasetSlice, type DatasetSlice } from '../dataset/slice';
import { createEmbedSlice, type EmbedSlice } from '../embed/slice';
import { createEvaluationSlice, type EvaluationSlice } from '../eval/slice';
import { createTrainingSlice, type TrainingSlice } from '../train/slice';

export type Store = ConfigSlice & BackendSlice & DatasetSlice & TrainingSlice & EvaluationSlice & EmbedSlice & CheckpointsSlice;

export const useStore = create<Store>()((...a) => ({
  ...createConfigSlice(...a),
  ...createBackendSlice(...a),
  ...createDatasetSlice(...a),
  ...createTrainingSlice(...a),
  ...createEvaluationSlice(...a),
  ...createEmbedSlice(...a),
  ...createCheckpointsSlice(...a),
}));
