import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { VICREG_DEFAULTS, vicregLoss, type AvtState, type VicregOptions } from './loss';
import { vicreg64, type Mat } from './reference64';
import { mulberry32 } from '../dataset/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randn(rng: () => number, rows: number, cols: number, scale = 1, shift = 0): Mat {
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => shift + scale * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())),
  );
}

/** Runs the TF.js loss and reads every output back as numbers, disposing all tensors. */
function run(z1: Mat, z2: Mat, o: Partial<VicregOptions>, state?: AvtState) {
  tf.engine().startScope();
  try {
    const t = vicregLoss(tf.tensor2d(z1), tf.tensor2d(z2), o, state);
    const read = (x: tf.Tensor) => x.dataSync()[0];
    return {
      loss: read(t.loss),
      invariance: read(t.invariance),
      variance: read(t.variance),
      covariance: read(t.covariance),
      gammaT: read(t.gammaT),
      ema: t.state.ema ? Array.from(t.state.ema.dataSync()) : null,
    };
  } finally {
    tf.engine().endScope();
  }
}

const close = (a: number, b: number, rel = 2e-4, abs = 1e-5) => expect(Math.abs(a - b)).toBeLessThanOrEqual(abs + rel * Math.abs(b));

const variants: [string, Partial<VicregOptions>][] = [
  ['official defaults', {}],
  ['non-default coefficients', { simCoeff: 10, stdCoeff: 5, covCoeff: 3.5, gamma: 0.7, eps: 1e-3 }],
  ['SICov', { covarianceMode: 'sicov' }],
  ['AVT + SICov', { varianceMode: 'adaptive', covarianceMode: 'sicov', gammaMin: 0.2, gammaMax: 1.5 }],
];

describe('vicregLoss against the float64 port of main_vicreg.py', () => {
  for (const [label, opts] of variants) {
    for (const [B, d] of [
      [2, 3],
      [8, 5],
      [32, 16],
      [17, 64],
    ]) {
      it(`${label}, B=${B}, d=${d}`, () => {
        const rng = mulberry32(B * 1000 + d);
        const z1 = randn(rng, B, d, 0.8, 0.3);
        const z2 = randn(rng, B, d, 1.3, -0.2);
        const got = run(z1, z2, opts);
        const want = vicreg64(z1, z2, { ...VICREG_DEFAULTS, ...opts });
        for (const k of ['loss', 'invariance', 'variance', 'covariance', 'gammaT'] as const) close(got[k], want[k]);
      });
    }
  }

  it('a collapsed batch (identical rows) gives variance 1 − sqrt(eps) and covariance 0', () => {
    const row = [0.5, -1, 2, 3];
    const z = Array.from({ length: 6 }, () => [...row]);
    const got = run(z, z, {});
    close(got.variance, 1 - Math.sqrt(1e-4), 1e-6);
    expect(got.covariance).toBe(0);
    expect(got.invariance).toBe(0);
  });

  it('is symmetric: loss(z1, z2) = loss(z2, z1)', () => {
    const rng = mulberry32(7);
    const z1 = randn(rng, 12, 9),
      z2 = randn(rng, 12, 9, 2);
    for (const [, opts] of variants) {
      const a = run(z1, z2, opts),
        b = run(z2, z1, opts);
      close(a.loss, b.loss, 1e-6);
    }
  });

  it('SICov is unchanged when z is scaled by c > 0; the official term is not', () => {
    const rng = mulberry32(3);
    const z1 = randn(rng, 16, 8),
      z2 = randn(rng, 16, 8);
    const scale = (z: Mat, c: number) => z.map((r) => r.map((v) => v * c));
    const base = run(z1, z2, { covarianceMode: 'sicov' }).covariance;
    for (const c of [0.01, 3, 250]) close(run(scale(z1, c), scale(z2, c), { covarianceMode: 'sicov' }).covariance, base, 1e-4);
    expect(run(scale(z1, 3), scale(z2, 3), {}).covariance).toBeGreaterThan(2 * run(z1, z2, {}).covariance);
  });

  it('SICov equals the official term when every dimension has unit variance and d is large', () => {
    // With C = I + E (unit diagonal), d·‖C/d − I/d‖² = Σ_offdiag C² / d exactly.
    const rng = mulberry32(11);
    const raw = randn(rng, 64, 6);
    const zc = raw.map((r) => r.map((v, j) => v - raw.reduce((s, q) => s + q[j], 0) / 64));
    const sd = zc[0].map((_, j) => Math.sqrt(zc.reduce((s, r) => s + r[j] ** 2, 0) / 63));
    const unit = zc.map((r) => r.map((v, j) => v / sd[j]));
    close(run(unit, unit, { covarianceMode: 'sicov' }).covariance, run(unit, unit, {}).covariance, 1e-4);
  });

  it('AVT follows the reference EMA and median over several steps', () => {
    const o: Partial<VicregOptions> = { varianceMode: 'adaptive', emaMomentum: 0.9, gammaMin: 0.05, gammaMax: 5 };
    const rng = mulberry32(5);
    let state: AvtState = { ema: null };
    let ema64: number[] | null = null;
    for (let step = 0; step < 6; step++) {
      const z1 = randn(rng, 10, 6, 0.5 + step * 0.3),
        z2 = randn(rng, 10, 6, 0.4 + step * 0.2);
      const want = vicreg64(z1, z2, { ...VICREG_DEFAULTS, ...o }, ema64);
      const t = vicregLoss(tf.tensor2d(z1), tf.tensor2d(z2), o, state);
      const got = { loss: t.loss.dataSync()[0], gammaT: t.gammaT.dataSync()[0] };
      state.ema?.dispose();
      state = { ema: t.state.ema };
      close(got.gammaT, want.gammaT);
      close(got.loss, want.loss);
      Array.from(state.ema!.dataSync()).forEach((v, j) => close(v, want.ema![j]));
      ema64 = want.ema;
    }
    state.ema?.dispose();
  });

  it('AVT clips gammaT to [gammaMin, gammaMax]', () => {
    const rng = mulberry32(9);
    const small = randn(rng, 8, 4, 0.01),
      big = randn(rng, 8, 4, 100);
    expect(run(small, small, { varianceMode: 'adaptive', gammaMin: 0.3, gammaMax: 2 }).gammaT).toBeCloseTo(0.3, 6);
    expect(run(big, big, { varianceMode: 'adaptive', gammaMin: 0.3, gammaMax: 2 }).gammaT).toBeCloseTo(2, 6);
    expect(run(big, big, { gamma: 1.7 }).gammaT).toBeCloseTo(1.7, 6);
  });

  for (const [label, opts] of variants) {
    it(`gradient w.r.t. z1 matches float64 central differences (${label})`, () => {
      const rng = mulberry32(21);
      const B = 6,
        d = 4;
      const z1 = randn(rng, B, d),
        z2 = randn(rng, B, d);
      const o = { ...VICREG_DEFAULTS, ...opts };
      const grad = tf.tidy(() => {
        const g = tf.grad((x: tf.Tensor) => vicregLoss(x as tf.Tensor2D, tf.tensor2d(z2), opts, { ema: null }, false).loss);
        return g(tf.tensor2d(z1)).arraySync() as number[][];
      });
      // gammaT is outside the gradient (avtUpdate in loss.ts has a zero gradient): differentiate with it held at its value at z1.
      const frozen = { ...o, varianceMode: 'fixed' as const, gamma: vicreg64(z1, z2, o).gammaT };
      const h = 1e-6;
      for (let b = 0; b < B; b++)
        for (let j = 0; j < d; j++) {
          const plus = z1.map((r) => [...r]),
            minus = z1.map((r) => [...r]);
          plus[b][j] += h;
          minus[b][j] -= h;
          const fd = (vicreg64(plus, z2, frozen).loss - vicreg64(minus, z2, frozen).loss) / (2 * h);
          close(grad[b][j], fd, 2e-3, 2e-4);
        }
    });
  }

  it('throws with the values found for B < 2, differing shapes and non-finite input', () => {
    const ok = tf.ones([4, 3]) as tf.Tensor2D;
    expect(() => vicregLoss(tf.ones([1, 3]), tf.ones([1, 3]))).toThrow(/at least 2.*B = 1/);
    expect(() => vicregLoss(ok, tf.ones([4, 5]))).toThrow(/same shape.*\[4,3\].*\[4,5\]/);
    expect(() => vicregLoss(tf.ones([4]) as unknown as tf.Tensor2D, ok)).toThrow(/\[B, d\]/);
    expect(() =>
      vicregLoss(
        tf.tensor2d([
          [NaN, 1, 2],
          [0, 1, 2],
          [1, 1, 1],
          [2, 2, 2],
        ]),
        ok,
      ),
    ).toThrow(/z1 holds 1 NaN or Infinity/);
    expect(() => vicregLoss(ok, tf.fill([4, 3], Infinity) as tf.Tensor2D)).toThrow(/z2 holds 12 NaN/);
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const rng = mulberry32(1);
    const z1 = tf.tensor2d(randn(rng, 8, 4)),
      z2 = tf.tensor2d(randn(rng, 8, 4));
    const t = vicregLoss(z1, z2, { varianceMode: 'adaptive' });
    tf.dispose([t.loss, t.invariance, t.variance, t.covariance, t.gammaT, t.state.ema!, z1, z2]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
