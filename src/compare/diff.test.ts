import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../workers/contract/config';
import { configDiff } from './diff';

describe('configDiff', () => {
  it("lists only the fields that differ, in the settings order, with each run's value", () => {
    const a = DEFAULT_CONFIG;
    const b = { ...DEFAULT_CONFIG, varianceMode: 'adaptive' as const, batchSize: 64 };
    const c = { ...DEFAULT_CONFIG, batchSize: 64, backend: 'cpu' as const };
    expect(configDiff([a, b, c])).toEqual([
      { key: 'batchSize', values: ['128', '64', '64'] },
      { key: 'varianceMode', values: ['fixed', 'adaptive', 'fixed'] },
    ]);
  });

  it('leaves out Runtime settings, and has nothing to say about one run or equal runs', () => {
    expect(configDiff([DEFAULT_CONFIG, { ...DEFAULT_CONFIG, backend: 'cpu', metricsEvery: 9 }])).toEqual([]);
    expect(configDiff([DEFAULT_CONFIG])).toEqual([]);
  });
});
