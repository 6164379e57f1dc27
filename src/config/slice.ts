import type { StateCreator } from 'zustand';
import { DEFAULT_CONFIG, type ConfigWarning, type TrainConfig } from '../../workers/contract/config';
import type { Store } from '../store';

export interface ConfigSlice {
  config: TrainConfig;
  configWarnings: ConfigWarning[];
  setConfig: (patch: Partial<TrainConfig>) => void;
  loadConfig: (config: TrainConfig, warnings: ConfigWarning[]) => void;
}

export const createConfigSlice: StateCreator<Store, [], [], ConfigSlice> = (set) => ({
  config: DEFAULT_CONFIG,
  configWarnings: [],
  setConfig: (patch) => set((s) => ({ config: { ...s.config, ...patch } })),
  loadConfig: (config, configWarnings) => set({ config, configWarnings }),
});
