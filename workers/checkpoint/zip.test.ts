import { describe, expect, it } from 'vitest';
import type { MetricRecord } from '../contract/api';
import { metricsCsv } from './zip';

const m = (step: number): MetricRecord => ({
  step,
  epoch: 0,
  loss: 20 - step,
  invariance: 0.1,
  variance: 0.5,
  covariance: 1,
  gammaT: 1,
  lr: 0.01,
  imagesPerSec: 100,
  msPerStep: 600,
});

describe('metricsCsv', () => {
  it('puts each online k-NN point on its step, with both reference lines beside it', () => {
    const lines = { pixels: 0.76, random: 0.655, trainCount: 512, testCount: 256, features: 'backbone, 4×4 grid', every: 2 };
    const csv = metricsCsv(
      [m(1), m(2), m(3)],
      [
        { step: 0, epoch: 0, top1: 0.655 },
        { step: 2, epoch: 0, top1: 0.7 },
      ],
      lines,
    )
      .trim()
      .split('\n');
    expect(csv[0]).toBe(
      'step,epoch,lr,loss,invariance,variance,covariance,gammaT,imagesPerSec,knnTop1,knnTop1Lo95,knnTop1Hi95,knnPixels,knnRandom',
    );
    // Wilson's 95% interval over the 256 test images, to 4 places: 168 of 256 (0.655 of them,
    // rounded to a count) gives 0.5961–0.7117; 179 of 256 gives 0.6404–0.7521 (Wilson 1927's formula, in Python).
    expect(csv.slice(1)).toEqual([
      '0,0,,,,,,,,0.655,0.5961,0.7117,0.76,0.655', // the random init, before the first step
      '1,0,0.01,19,0.1,0.5,1,1,100,,,,,',
      '2,0,0.01,18,0.1,0.5,1,1,100,0.7,0.6404,0.7521,0.76,0.655',
      '3,0,0.01,17,0.1,0.5,1,1,100,,,,,',
    ]);
  });

  it('leaves the k-NN columns empty for a run without online k-NN', () => {
    expect(
      metricsCsv([m(1)])
        .trim()
        .split('\n')[1],
    ).toBe('1,0,0.01,19,0.1,0.5,1,1,100,,,,,');
  });

  it('escapes what an imported record may hold instead of numbers', () => {
    const bad = { ...m(1), loss: '=cmd|calc' as unknown as number, gammaT: '1,5' as unknown as number };
    expect(metricsCsv([bad]).trim().split('\n')[1]).toBe(`1,0,0.01,'=cmd|calc,0.1,0.5,1,"1,5",100,,,,,`);
  });
});
