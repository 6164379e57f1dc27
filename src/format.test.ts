import { describe, expect, it } from 'vitest';
import { downsample, eta, formatBytes, formatDuration, formatMemory, percent, taskEta } from './format';

describe('format', () => {
  it('formats durations', () => {
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(NaN)).toBe('–');
    expect(formatDuration(null)).toBe('–');
  });
  it('estimates the remaining time from the pace since the anchor', () => {
    expect(eta({ ms: 0, step: 10 }, 20, 120, 5000)).toBe(50_000);
    expect(eta({ ms: 0, step: 10 }, 10, 120, 5000)).toBeNull();
    expect(eta(null, 10, 120, 5000)).toBeNull();
    // A task counted from 0 at startedMs: 25 of 100 in 10 s leaves 30 s.
    expect(taskEta({ done: 25, total: 100, startedMs: 1000 }, 11_000)).toBe(30_000);
    expect(taskEta({ done: 0, total: 100, startedMs: 1000 }, 11_000)).toBeNull();
  });
  it('writes stored bytes in decimal units, memory in binary ones, shares as percentages', () => {
    expect(formatBytes(300)).toBe('1 kB');
    expect(formatBytes(56_400)).toBe('56 kB');
    expect(formatBytes(3_450_000)).toBe('3.5 MB');
    expect(formatBytes(1_230_000_000)).toBe('1.2 GB');
    expect(formatMemory(12.34 * 2 ** 20)).toBe('12.3 MiB');
    expect(formatMemory(1.5 * 2 ** 30)).toBe('1.50 GiB');
    expect(percent(0.875)).toBe('87.5%');
    expect(percent(null)).toBe('–');
    expect(percent(undefined)).toBe('–');
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
