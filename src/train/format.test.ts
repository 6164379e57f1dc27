import { describe, expect, it } from 'vitest';
import { downsample, eta, formatDuration } from './format';

describe('format', () => {
  it('formats durations', () => {
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(NaN)).toBe('–');
  });
  it('estimates the remaining time from the pace since the anchor', () => {
    expect(eta({ ms: 0, step: 10 }, 20, 120, 5000)).toBe(50_000);
    expect(eta({ ms: 0, step: 10 }, 10, 120, 5000)).toBeNull();
    expect(eta(null, 10, 120, 5000)).toBeNull();
  });
  it('downsamples to at most max points and keeps the last', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const d = downsample(rows, 100);
    expect(d.length).toBe(100);
    expect(d[0]).toBe(0);
    expect(d[99]).toBe(999);
    expect(downsample([1, 2], 100)).toEqual([1, 2]);
  });
});
