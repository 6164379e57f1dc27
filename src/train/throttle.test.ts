import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricRecord, TrainEvent } from '../../workers/contract/api';
import { CHART_INTERVAL_MS, throttledEvents } from './throttle';

const metric = (step: number) => ({ step }) as MetricRecord;
const steps = (e: TrainEvent) => ('records' in e ? e.records.map((r) => r.step) : []);

describe('throttledEvents', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('merges metric windows and applies them once per interval', () => {
    const applied: TrainEvent[] = [];
    const send = throttledEvents((e) => applied.push(e));
    send({ type: 'metrics', records: [metric(1)] });
    send({ type: 'metrics', records: [metric(2), metric(3)] });
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(CHART_INTERVAL_MS);
    expect(applied.map((e) => [e.type, steps(e)])).toEqual([['metrics', [1, 2, 3]]]);
  });

  it('reports the step of each metrics window at once, while the charts wait', () => {
    const seen: number[] = [];
    const send = throttledEvents(
      () => {},
      (step) => seen.push(step),
    );
    send({ type: 'metrics', records: [metric(1), metric(2)] });
    send({ type: 'metrics', records: [metric(3)] });
    expect(seen).toEqual([2, 3]);
  });

  it("keeps only the latest report of the loop's time, applied with the metrics", () => {
    const applied: TrainEvent[] = [];
    const send = throttledEvents((e) => applied.push(e));
    const report = (steps: number) => ({ steps, images: steps, wallMs: 1, ms: {} as never, idleMs: 0, views: null, waits: {} });
    send({ type: 'metrics', records: [metric(1)] });
    send({ type: 'phases', report: report(1) });
    send({ type: 'phases', report: report(2) });
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(CHART_INTERVAL_MS);
    expect(applied.map((e) => e.type)).toEqual(['metrics', 'phases']);
    expect((applied[1] as { report: { steps: number } }).report.steps).toBe(2);
  });

  it('applies what is pending before any other event, so order is kept', () => {
    const applied: TrainEvent[] = [];
    const send = throttledEvents((e) => applied.push(e));
    send({ type: 'diagnostics', records: [{ step: 5 } as never] });
    send({ type: 'metrics', records: [metric(5)] });
    send({ type: 'state', state: 'done', step: 5, totalSteps: 5 });
    expect(applied.map((e) => e.type)).toEqual(['metrics', 'diagnostics', 'state']);
    // Nothing is left for the timer to apply again.
    vi.advanceTimersByTime(CHART_INTERVAL_MS);
    expect(applied).toHaveLength(3);
  });
});
