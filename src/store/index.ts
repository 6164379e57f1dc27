// The studio's state: one slice per concern, combined once here.
import { create } from 'zustand';
import { createCheckpointsSlice, type CheckpointsSlice } from './checkpoints';
import { createConfigSlice, type ConfigSlice } from './config';
import { createDatasetSlice, type DatasetSlice } from './dataset';
import { createEvaluationSlice, type EvaluationSlice } from './evaluation';
import { createTrainingSlice, type TrainingSlice } from './training';

export type Store = ConfigSlice & DatasetSlice & TrainingSlice & EvaluationSlice & CheckpointsSlice;

export const useStore = create<Store>()((...a) => ({
  ...createConfigSlice(...a),
  ...createDatasetSlice(...a),
  ...createTrainingSlice(...a),
  ...createEvaluationSlice(...a),
  ...createCheckpointsSlice(...a),
}));
