import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adamw, clipByGlobalNorm, lars, sgd } from './optimizers';
import { sgdStepOptions } from './sgd-step';
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

describe.each([
  ['the fused step (./sgd-step.ts)', true],
  ['the composite route', false],
])('SGD with momentum, two steps by hand (torch.optim.SGD, dampening 0): %s', (_, fused) => {
  beforeAll(() => void (sgdStepOptions.enabled = fused));
  afterAll(() => void (sgdStepOptions.enabled = true));
  // p = [[1, -2]], g = [[0.5, 0.5]], wd = 0.1, momentum 0.9, lr 0.1.
  // step 1: d = g + 0.1·p = [0.6, 0.3]; mu = d; p = [0.94, -2.03].
  // step 2: d = [0.5 + 0.094, 0.5 − 0.203] = [0.594, 0.297]; mu = 0.9·[0.6, 0.3] + d = [1.134, 0.567];
  //         p = [0.94 − 0.1134, −2.03 − 0.0567] = [0.8266, −2.0867].
  it('couples weight decay into the gradient before momentum', () => {
    const p = tf.variable(tf.tensor2d([[1, -2]]));
    const opt = sgd({ weightDecay: 0.1, momentum: 0.9 });
    opt.apply([p], [tf.tensor2d([[0.5, 0.5]])], 0.1);
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(0.94, 6), expect.closeTo(-2.03, 6)]);
    opt.apply([p], [tf.tensor2d([[0.5, 0.5]])], 0.1);
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(0.8266, 6), expect.closeTo(-2.0867, 6)]);
    expect(opt.state().map((s) => [s.slot, s.param])).toEqual([['sgd.mu', p]]);
    opt.dispose();
  });

  it('does not decay 1-D parameters (the official exclude_bias_and_norm)', () => {
    const b = tf.variable(tf.tensor1d([1, -2]));
    const opt = sgd({ weightDecay: 0.1, momentum: 0.9 });
    opt.apply([b], [tf.tensor1d([0.5, 0.5])], 0.1);
    expect(Array.from(b.dataSync())).toEqual([expect.closeTo(0.95, 6), expect.closeTo(-2.05, 6)]);
    opt.dispose();
  });
});

it('the fused SGD step gives the composite route bits for bits, with and without weight decay', () => {
  const run = (fused: boolean) => {
    sgdStepOptions.enabled = fused;
    const w = tf.variable(tf.randomNormal([13, 7], 0, 1, 'float32', 1));
    const b = tf.variable(tf.randomNormal([7], 0, 1, 'float32', 2));
    const opt = sgd({ weightDecay: 5e-4, momentum: 0.9 });
    for (let k = 0; k < 3; k++)
      opt.apply([w, b], [tf.randomNormal([13, 7], 0, 1, 'float32', 3 + k), tf.randomNormal([7], 0, 1, 'float32', 9 + k)], 0.07);
    const out = [...w.dataSync(), ...b.dataSync(), ...opt.state().flatMap((s) => [...s.variable.dataSync()])];
    opt.dispose();
    tf.dispose([w, b]);
    return out;
  };
  expect(run(true)).toEqual(run(false));
  sgdStepOptions.enabled = true;
});

describe('AdamW, two steps by hand (torch.optim.AdamW)', () => {
  // p = [[1, -2]], lr 0.01, wd 0.1, beta1 0.9, beta2 0.999, eps 1e-8.
  // step 1, g = [[0.5, -1]]: m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g², update = g/(|g| + eps) ≈ sign(g);
  //   p = p·(1 − 0.001) − 0.01·sign(g) = [0.999 − 0.01, −1.998 + 0.01].
  // step 2, g = [[0.2, 0.4]]: m = 0.9·m + 0.1·g, v = 0.999·v + 0.001·g², m̂ = m/0.19, v̂ = v/0.001999.
  it('decays decoupled from the adaptive step, with bias correction', () => {
    const p = tf.variable(tf.tensor2d([[1, -2]]));
    const opt = adamw({ weightDecay: 0.1, beta1: 0.9 });
    opt.apply([p], [tf.tensor2d([[0.5, -1]])], 0.01);
    const p1 = [0.999 - 0.01, -1.998 + 0.01];
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(p1[0], 6), expect.closeTo(p1[1], 6)]);
    opt.apply([p], [tf.tensor2d([[0.2, 0.4]])], 0.01);
    const g1 = [0.5, -1];
    const g2 = [0.2, 0.4];
    const want = p1.map((pi, k) => {
      const m = 0.9 * 0.1 * g1[k] + 0.1 * g2[k];
      const v = 0.999 * 0.001 * g1[k] ** 2 + 0.001 * g2[k] ** 2;
      const update = m / (1 - 0.9 ** 2) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
      return pi * (1 - 0.01 * 0.1) - 0.01 * update;
    });
    expect(Array.from(p.dataSync())).toEqual([expect.closeTo(want[0], 5), expect.closeTo(want[1], 5)]);
    expect(opt.state().map((s) => [s.slot, s.param])).toEqual([
      ['adamw.m', p],
      ['adamw.v', p],
      ['adamw.t', null],
    ]);
    opt.dispose();
  });

  it('does not decay 1-D parameters', () => {
    const b = tf.variable(tf.tensor1d([1]));
    const opt = adamw({ weightDecay: 0.5, beta1: 0.9 });
    opt.apply([b], [tf.tensor1d([0.5])], 0.01);
    expect(b.dataSync()[0]).toBeCloseTo(0.99, 6);
    opt.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by maxNorm / global norm when above, and leaves them when below', () => {
    const grads = [tf.tensor1d([3]), tf.tensor2d([[4, 0]])]; // global norm 5
    const clipped = clipByGlobalNorm(grads, 1);
    expect(Array.from(clipped[0].dataSync())).toEqual([expect.closeTo(0.6, 5)]);
    expect(Array.from(clipped[1].dataSync())).toEqual([expect.closeTo(0.8, 5), 0]);
    const kept = clipByGlobalNorm(grads, 10);
    expect(Array.from(kept[1].dataSync())).toEqual([expect.closeTo(4, 5), 0]);
    tf.dispose([...grads, ...clipped, ...kept]);
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

describe('state and load', () => {
  // A checkpoint restores an optimizer by its state values; the next update must then be the
  // uninterrupted optimizer's, bit for bit, for every kind of state (momentum, moments, step count).
  for (const [name, make] of [
    ['lars', () => lars({ weightDecay: 0.01, momentum: 0.9, eta: 0.02 })],
    ['sgd', () => sgd({ weightDecay: 0.01, momentum: 0.9 })],
    ['adamw', () => adamw({ weightDecay: 0.01, beta1: 0.9 })],
  ] as const) {
    it(`${name}: a loaded copy continues exactly as the original`, () => {
      const w = tf.variable(
        tf.tensor2d([
          [1, -2],
          [0.5, 3],
        ]),
      );
      const b = tf.variable(tf.tensor1d([0.1, -0.3]));
      const g = () => [
        tf.tensor2d([
          [0.3, -0.1],
          [0.2, 0.4],
        ]),
        tf.tensor1d([0.05, -0.02]),
      ];
      const original = make();
      original.apply([w, b], g(), 0.1);
      original.apply([w, b], g(), 0.05);
      const w2 = tf.variable(w.clone());
      const b2 = tf.variable(b.clone());
      const twin = { [w.name]: w2, [b.name]: b2 };
      const copy = make();
      copy.load(original.state().map((s) => ({ slot: s.slot, param: s.param && twin[s.param.name], value: s.variable })));
      expect(copy.state().map((s) => s.slot)).toEqual(original.state().map((s) => s.slot));
      original.apply([w, b], g(), 0.07);
      copy.apply([w2, b2], g(), 0.07);
      expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
      expect(Array.from(b2.dataSync())).toEqual(Array.from(b.dataSync()));
      original.dispose();
      copy.dispose();
      tf.dispose([w, b, w2, b2]);
    });
  }
  it('refuses state written by another optimizer', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const a = adamw({ weightDecay: 0, beta1: 0.9 });
    a.apply([w], [tf.tensor2d([[0.1, 0.1]])], 0.1);
    const l = lars({ weightDecay: 0, momentum: 0.9, eta: 0.001 });
    expect(() => l.load(a.state().map((s) => ({ slot: s.slot, param: s.param, value: s.variable })))).toThrow(/slot adamw.m/);
    a.dispose();
    l.dispose();
    w.dispose();
  });
});
