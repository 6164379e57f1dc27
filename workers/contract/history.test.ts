import { describe, expect, it } from 'vitest';
import type { MetricRecord } from './api';
import { appendHistory } from './history';

const rec = (step: number) => ({ step, loss: step }) as MetricRecord;

describe('appendHistory', () => {
  it('keeps everything below the limit', () => {
    const h = appendHistory([rec(1), rec(2)], [rec(3)], 10);
    expect(h.map((r) => r.step)).toEqual([1, 2, 3]);
  });
  it('stays within the limit over a long run, spans it, and keeps the first and newest step', () => {
    let h: MetricRecord[] = [];
    for (let s = 1; s <= 10_000; s += 4) h = appendHistory(h, [rec(s), rec(s + 1), rec(s + 2), rec(s + 3)], 100);
    expect(h.length).toBeLessThanOrEqual(100);
    expect(h.length).toBeGreaterThan(40);
    expect(h[0].step).toBe(1);
    expect(h[h.length - 1].step).toBe(10_000);
    const steps = h.map((r) => r.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // Even over the run: every tenth of it holds about a tenth of the records.
    for (let d = 0; d < 10; d++) {
      const inDecile = steps.filter((s) => s > d * 1000 && s <= (d + 1) * 1000).length;
      expect(inDecile, `decile ${d}`).toBeGreaterThanOrEqual(Math.floor(h.length / 10) - 2);
    }
  });
});
