// The studio's state: one slice per concern, combined once here.
import { create } from 'zustand';
import { createConfigSlice, type ConfigSlice } from './config';
import { createDatasetSlice, type DatasetSlice } from './dataset';
import { createEvaluationSlice, type EvaluationSlice } from './evaluation';
import { createTrainingSlice, type TrainingSlice } from './training';

export type Store = ConfigSlice & DatasetSlice & TrainingSlice & EvaluationSlice;

export const useStore = create<Store>()((...a) => ({
  ...createConfigSlice(...a),
  ...createDatasetSlice(...a),
  ...createTrainingSlice(...a),
  ...createEvaluationSlice(...a),
}));
