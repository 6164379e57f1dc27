import { describe, expect, it } from 'vitest';
import type { DiagnosticsRecord, FeatureDiagnostics, MetricRecord } from '../contract/api';
import { CollapseWatch, COV_STEPS } from './warnings';

const metric = (step: number, over: Partial<MetricRecord> = {}): MetricRecord => ({
  step,
  epoch: 0,
  loss: 20,
  invariance: 0.1,
  variance: 0.3,
  covariance: 1,
  gammaT: 1,
  lr: 0.1,
  imagesPerSec: 10,
  msPerStep: 100,
  ...over,
});
const healthy: FeatureDiagnostics = { stdMin: 0.2, stdMean: 0.5, stdMax: 0.9, cosine: 0.1, covSq: 0.01, rankMe: 20 };
const diag = (
  step: number,
  projector: Partial<FeatureDiagnostics> = {},
  backbone: Partial<FeatureDiagnostics> = {},
): DiagnosticsRecord => ({
  step,
  projector: { ...healthy, ...projector },
  backbone: { ...healthy, ...backbone },
});

describe('CollapseWatch', () => {
  it('stays quiet on a healthy run', () => {
    const w = new CollapseWatch();
    for (let s = 1; s <= 50; s++) expect(w.onMetrics(metric(s))).toEqual([]);
    expect(w.onDiagnostics(diag(10))).toEqual([]);
  });

  it('warns once per feature set when the smallest std falls under 0.01, naming the step', () => {
    const w = new CollapseWatch();
    const first = w.onDiagnostics(diag(20, { stdMin: 0.005 }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ step: 20, kind: 'std-collapse' });
    expect(first[0].message).toMatch(/projector.*0\.005/);
    expect(w.onDiagnostics(diag(30, { stdMin: 0.001 }))).toEqual([]);
    expect(w.onDiagnostics(diag(40, { stdMin: 0.001 }, { stdMin: 0 }))).toMatchObject([{ step: 40, kind: 'std-collapse' }]);
  });

  it('warns when the mean pairwise cosine passes 0.9', () => {
    const w = new CollapseWatch();
    expect(w.onDiagnostics(diag(10, { cosine: 0.9 }))).toEqual([]);
    expect(w.onDiagnostics(diag(20, {}, { cosine: 0.95 }))).toMatchObject([{ step: 20, kind: 'cosine' }]);
  });

  it(`warns on covariance near 0 with a high variance hinge only after ${COV_STEPS} steps in a row, at the first`, () => {
    const w = new CollapseWatch();
    const collapsed = (s: number) => metric(s, { covariance: 1e-5, variance: 0.9, gammaT: 1 });
    for (let s = 1; s < COV_STEPS; s++) expect(w.onMetrics(collapsed(s))).toEqual([]);
    expect(w.onMetrics(metric(COV_STEPS))).toEqual([]); // the run is broken: counting starts again
    for (let s = 10; s < 10 + COV_STEPS - 1; s++) expect(w.onMetrics(collapsed(s))).toEqual([]);
    expect(w.onMetrics(collapsed(10 + COV_STEPS - 1))).toMatchObject([{ step: 10, kind: 'cov-zero' }]);
    expect(w.onMetrics(collapsed(20))).toEqual([]);
  });

  it('does not take a low covariance with a low hinge (a healthy decorrelated run) for collapse', () => {
    const w = new CollapseWatch();
    for (let s = 1; s <= 20; s++) expect(w.onMetrics(metric(s, { covariance: 1e-5, variance: 0.1 }))).toEqual([]);
  });

  it('reports a non-finite loss', () => {
    const w = new CollapseWatch();
    const out = w.onMetrics(metric(7, { loss: NaN }));
    expect(out).toMatchObject([{ step: 7, kind: 'non-finite' }]);
    expect(out[0].message).toMatch(/NaN/);
  });
});

describe('CollapseWatch.onKnn: below the raw-pixel line for long', () => {
  const schedule = { warmupSteps: 25, totalSteps: 500 };
  const lines = { pixels: 0.76 };
  const point = (step: number, top1: number) => ({ step, epoch: Math.floor(step / 25), top1 });

  it('ignores the warmup, then warns once after three points in a row below the line over a fifth of the run', () => {
    const w = new CollapseWatch();
    expect(w.onKnn(point(10, 0.5), lines, schedule)).toEqual([]);
    expect(w.onKnn(point(25, 0.5), lines, schedule)).toEqual([]);
    expect(w.onKnn(point(50, 0.7), lines, schedule)).toEqual([]);
    expect(w.onKnn(point(100, 0.72), lines, schedule)).toEqual([]);
    expect(w.onKnn(point(140, 0.73), lines, schedule)).toEqual([]); // 3 points, but only 90 steps (< 100)
    const fired = w.onKnn(point(150, 0.74), lines, schedule);
    expect(fired).toMatchObject([{ step: 50, kind: 'below-pixels' }]);
    expect(fired[0].message).toMatch(/74\.0% against 76\.0%.*budgetMinutes/);
    expect(w.onKnn(point(300, 0.7), lines, schedule)).toEqual([]);
  });

  it('with the paired interval: only points below beyond noise count, and the notice says by how much', () => {
    const w = new CollapseWatch();
    const below = { diff: -0.04, lo: -0.07, hi: -0.01, resamples: 2000 };
    const noise = { diff: -0.02, lo: -0.05, hi: 0.01, resamples: 2000 };
    // Below the line but within noise: no run of points starts.
    for (const s of [50, 100, 150, 200]) expect(w.onKnn(point(s, 0.74), lines, schedule, noise)).toEqual([]);
    expect(w.onKnn(point(250, 0.72), lines, schedule, below)).toEqual([]);
    expect(w.onKnn(point(300, 0.72), lines, schedule, below)).toEqual([]);
    const fired = w.onKnn(point(350, 0.72), lines, schedule, below);
    expect(fired).toMatchObject([{ step: 250, kind: 'below-pixels' }]);
    expect(fired[0].message).toContain('-4.0 points, 95% paired interval -7.0 to -1.0');
  });

  it('starts counting again when the curve crosses the line', () => {
    const w = new CollapseWatch();
    for (const [s, v] of [
      [50, 0.7],
      [75, 0.7],
      [100, 0.8],
      [125, 0.7],
      [150, 0.7],
    ] as const)
      expect(w.onKnn(point(s, v), lines, schedule)).toEqual([]);
    expect(w.onKnn(point(225, 0.7), lines, schedule)).toMatchObject([{ step: 125 }]);
  });
});
