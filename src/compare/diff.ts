// What differs between runs' settings, for the compare table: the fields (in the settings'
// order) whose values are not all the same, skipping Runtime (backend, readback cadence,
// checkpoints), which does not change what is learned.
import { KEYS, RUNTIME_KEYS, type TrainConfig } from '../../workers/contract/config';

export interface ConfigDifference {
  key: keyof TrainConfig;
  values: string[]; // one per run, in the order given
}

export function configDiff(configs: TrainConfig[]): ConfigDifference[] {
  if (configs.length < 2) return [];
  return KEYS.filter((k) => !RUNTIME_KEYS.includes(k) && configs.some((config) => config[k] !== configs[0][k])).map((key) => ({
    key,
    values: configs.map((config) => String(config[key])),
  }));
}
