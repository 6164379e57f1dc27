import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { symmetricEigenvalues } from '../vicreg/diagnostics';
import { pca2d, topEigenpairs } from './pca';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A = Q diag(λ) Qᵀ for an orthonormal Q from Gram–Schmidt on random vectors. */
function withSpectrum(lambda: number[], seed: number) {
  const n = lambda.length;
  const rand = mulberry32(seed);
  const q: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: n }, () => rand() - 0.5);
    for (const u of q) {
      const p = v.reduce((s, x, t) => s + x * u[t], 0);
      u.forEach((x, t) => (v[t] -= p * x));
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = lambda.reduce((s, l, k) => s + l * q[k][i] * q[k][j], 0);
  return { a, q };
}

describe('topEigenpairs (orthogonal iteration)', () => {
  it('recovers the two largest eigenpairs of a matrix of known spectrum, agreeing with the JAMA eigenvalues', () => {
    const lambda = [5, 3, 1, 0.5, 0.2, 0];
    const { a, q } = withSpectrum(lambda, 2);
    const r = topEigenpairs(a, 6, 2);
    expect(Array.from(r.values)).toEqual([expect.closeTo(5, 10), expect.closeTo(3, 10)]);
    const jama = Array.from(symmetricEigenvalues(a, 6)).reverse().slice(0, 2);
    r.values.forEach((v, i) => expect(v).toBeCloseTo(jama[i], 10));
    for (let k = 0; k < 2; k++) {
      const cos = r.vectors[k].reduce((s, x, t) => s + x * q[k][t], 0);
      expect(Math.abs(cos)).toBeCloseTo(1, 10);
      // Sign convention: the largest component is positive.
      const big = r.vectors[k].reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it('finds a close second eigenvalue (ratio 0.95) too', () => {
    const { a } = withSpectrum([2, 1, 0.95, 0.1], 7);
    const r = topEigenpairs(a, 4, 2, 5000);
    expect(r.values[1]).toBeCloseTo(1, 6);
  });

  it('refuses a matrix of the wrong size', () => {
    expect(() => topEigenpairs(new Float64Array(5), 2, 1)).toThrow(/expected an 2×2 matrix \(4 values\), got 5 values/);
  });
});

describe('pca2d', () => {
  /** Points on an ellipse, 3 along one direction, 1 along another (a and b uncorrelated exactly, so
   *  the sample's axes are those directions), 0.01 noise in every dimension, offset by 50. */
  function cloud(p: number, d: number, seed: number) {
    const rand = mulberry32(seed);
    const u = Array.from({ length: d }, (_, t) => (t === 0 ? 0.6 : t === 1 ? 0.8 : 0));
    const v = Array.from({ length: d }, (_, t) => (t === 0 ? -0.8 : t === 1 ? 0.6 : 0));
    const ab = Array.from({ length: p }, (_, k) => [3 * Math.cos((2 * Math.PI * k) / p), Math.sin((2 * Math.PI * k) / p)]);
    const rows = ab.map(([a, b]) => u.map((x, t) => 50 + a * x + b * v[t] + 0.01 * (rand() - 0.5)));
    return { rows, ab };
  }

  for (const [p, d, branch] of [
    [40, 6, 'covariance'],
    [5, 12, 'Gram'],
  ] as const) {
    it(`projects onto the directions of largest variance (${branch}, P = ${p}, D = ${d})`, async () => {
      const { rows, ab } = cloud(p, d, 3);
      const x = tf.tensor2d(rows);
      const before = tf.memory().numTensors;
      const r = await pca2d(x);
      expect(tf.memory().numTensors).toBe(before);
      const mean = [0, 1].map((i) => ab.reduce((s, row) => s + row[i], 0) / p);
      // Each coordinate is the centred a (or b) up to one sign per axis.
      for (let i = 0; i < 2; i++) {
        const sign = Math.sign(ab.reduce((s, row, k) => s + r.coords[2 * k + i] * (row[i] - mean[i]), 0));
        ab.forEach((row, k) => expect(r.coords[2 * k + i]).toBeCloseTo(sign * (row[i] - mean[i]), 1));
      }
      expect(r.explained[0]).toBeGreaterThan(r.explained[1]);
      expect(r.explained[0] + r.explained[1]).toBeCloseTo(1, 3);
      x.dispose();
    });
  }

  it('needs two points', async () => {
    const x = tf.tensor2d([[1, 2]]);
    await expect(pca2d(x)).rejects.toThrow('PCA needs at least 2 points, got 1');
    x.dispose();
  });
});
