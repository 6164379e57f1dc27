import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lars } from './optimizers';
import { learningRate, rampedCoeff } from './schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('LARS, one step by hand (main_vicreg.py LARS.step)', () => {
  // p = [[3, 4]] (‖p‖ = 5), g = [[0.6, 0.8]], wd = 0.1, eta = 0.01, lr = 0.5, momentum 0.9, mu0 = 0.
  // dp = g + 0.1·p = [0.9, 1.2], ‖dp‖ = 1.5, q = 0.01·5/1.5 = 1/30, dp·q = [0.03, 0.04];
  // mu = [0.03, 0.04]; p ← p − 0.5·mu = [2.985, 3.98].
  it('applies weight decay, trust ratio and momentum to a 2-D weight', () => {
    const p = tf.variable(tf.tensor2d([[3, 4]]));
    const opt = lars({ weightDecay: 0.1, momentum: 0.9, eta: 0.01 });
    opt.apply([p], [tf.tensor2d([[0.6, 0.8]])], 0.5);
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(2.985, 6), expect.closeTo(3.98, 6)]);
    // Second step with the same gradient: q is recomputed on the new p; mu = 0.9·mu + dp·q.
    const pv = [2.985, 3.98];
    const dp = [0.6 + 0.1 * pv[0], 0.8 + 0.1 * pv[1]];
    const q = (0.01 * Math.hypot(...pv)) / Math.hypot(...dp);
    const mu = [0.9 * 0.03 + q * dp[0], 0.9 * 0.04 + q * dp[1]];
    opt.apply([p], [tf.tensor2d([[0.6, 0.8]])], 0.5);
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(pv[0] - 0.5 * mu[0], 6), expect.closeTo(pv[1] - 0.5 * mu[1], 6)]);
    opt.dispose();
  });

  it('excludes 1-D parameters from weight decay and the trust ratio, unless told not to', () => {
    const run = (exclude1d: boolean) => {
      const b = tf.variable(tf.tensor1d([3, 4]));
      const opt = lars({ weightDecay: 0.1, momentum: 0.9, eta: 0.01, exclude1d });
      opt.apply([b], [tf.tensor1d([0.6, 0.8])], 0.5);
      return Array.from(b.dataSync());
    };
    // Excluded: plain momentum SGD, p − lr·g = [2.7, 3.6].
    expect(run(true)).toEqual([expect.closeTo(2.7, 6), expect.closeTo(3.6, 6)]);
    expect(run(false)).toEqual([expect.closeTo(2.985, 6), expect.closeTo(3.98, 6)]);
  });

  it('uses a trust ratio of 1 when the parameter or the update is zero', () => {
    const p = tf.variable(tf.zeros([1, 2]));
    const opt = lars({ weightDecay: 0, momentum: 0, eta: 0.001 });
    opt.apply([p], [tf.tensor2d([[1, 2]])], 0.1);
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(-0.1, 6), expect.closeTo(-0.2, 6)]);
    const q = tf.variable(tf.tensor2d([[1, 1]]));
    opt.apply([q], [tf.zeros([1, 2])], 0.1);
    expect(Array.from(q.dataSync())).toEqual([1, 1]);
  });
});

describe('schedules', () => {
  const o = { baseLr: 0.2, batchSize: 512, warmupSteps: 10, totalSteps: 110 };
  it('learning rate: 0 at step 0, peak at the end of warmup, 0.001·peak at the end', () => {
    expect(learningRate(0, o)).toBe(0);
    expect(learningRate(5, o)).toBeCloseTo(0.2, 12);
    expect(learningRate(10, o)).toBeCloseTo(0.4, 12);
    expect(learningRate(60, o)).toBeCloseTo(0.4 * 0.5 + 0.0004 * 0.5, 12);
    expect(learningRate(110, o)).toBeCloseTo(0.0004, 12);
  });
  it('coefficient ramp: r0·w0 at 0, w0 at T and after, off when T = 0', () => {
    expect(rampedCoeff(25, 0, 100, 0.1)).toBeCloseTo(2.5, 12);
    expect(rampedCoeff(25, 50, 100, 0.1)).toBeCloseTo(25 * (0.1 + 0.9 * 0.5), 12);
    expect(rampedCoeff(25, 100, 100, 0.1)).toBeCloseTo(25, 12);
    expect(rampedCoeff(25, 500, 100, 0.1)).toBeCloseTo(25, 12);
    expect(rampedCoeff(25, 0, 0, 0.1)).toBe(25);
  });
});
