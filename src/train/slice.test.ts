import { describe, expect, it } from 'vitest';
import type { MetricRecord } from '../../workers/contract/api';
import { useStore } from '../store';
import { UI_HISTORY_LIMIT } from './slice';

const rec = (step: number): MetricRecord => ({
  step,
  epoch: 0,
  lr: 0.1,
  loss: 1 / step,
  invariance: 0,
  variance: 0,
  covariance: 0,
  gammaT: 1,
  imagesPerSec: 100,
  msPerStep: 10,
});

describe('the training slice', () => {
  it('keeps a bounded history however many records stream in, spread over the whole run', () => {
    const s = useStore.getState();
    s.resetRun();
    const window = 500;
    for (let start = 1; start <= 1_000_000; start += window) {
      useStore.getState().onTrainEvent({ type: 'metrics', records: Array.from({ length: window }, (_, i) => rec(start + i)) });
    }
    const { metrics, step } = useStore.getState();
    expect(step).toBe(1_000_000);
    expect(metrics.length).toBeLessThanOrEqual(UI_HISTORY_LIMIT);
    expect(metrics.length).toBeGreaterThan(UI_HISTORY_LIMIT / 4);
    expect(metrics[0].step).toBe(1);
    expect(metrics[metrics.length - 1].step).toBe(1_000_000);
    // Spread over the run: no quarter of it is empty.
    for (let q = 0; q < 4; q++) expect(metrics.some((m) => m.step > q * 250_000 && m.step <= (q + 1) * 250_000)).toBe(true);
  });
});
