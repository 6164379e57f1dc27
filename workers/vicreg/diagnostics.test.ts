import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { packDiagnostics, rankMe, readDiagnostics, singularValuesFromGram, symmetricEigenvalues } from './diagnostics';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const randn = (rand: () => number) => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());

function randomMatrix(rows: number, cols: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => randn(rand)));
}

const flat = (m: number[][]) => Float64Array.from(m.flat());
const gramOf = (x: number[][]) => x.map((r) => x.map((s) => r.reduce((a, v, k) => a + v * s[k], 0)));
const transpose = (x: number[][]) => x[0].map((_, j) => x.map((r) => r[j]));

/** Reference: cyclic Jacobi rotations (Golub & Van Loan, Alg. 8.5.3), plain and slow. */
function jacobiEigenvalues(a: number[][]): number[] {
  const n = a.length;
  const m = a.map((r) => r.slice());
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const kp = m[k][p];
          const kq = m[k][q];
          m[k][p] = c * kp - s * kq;
          m[k][q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p][k];
          const qk = m[q][k];
          m[p][k] = c * pk - s * qk;
          m[q][k] = s * pk + c * qk;
        }
      }
    }
  }
  return m.map((r, i) => r[i]).sort((x, y) => x - y);
}

/** Q from Gram–Schmidt on a random matrix: an orthogonal basis to build known spectra. */
function randomOrthogonal(n: number, seed: number): number[][] {
  const q: number[][] = [];
  for (const v of randomMatrix(n, n, seed)) {
    const w = v.slice();
    for (const u of q) {
      const dot = u.reduce((a, x, k) => a + x * w[k], 0);
      for (let k = 0; k < n; k++) w[k] -= dot * u[k];
    }
    const norm = Math.hypot(...w);
    q.push(w.map((x) => x / norm));
  }
  return q;
}

describe('symmetricEigenvalues', () => {
  it.each([1, 2, 3, 7, 33])('matches Jacobi rotations on a random symmetric %i x %i matrix', (n) => {
    const x = randomMatrix(n, n, n);
    const a = x.map((r, i) => r.map((v, j) => (v + x[j][i]) / 2));
    const got = symmetricEigenvalues(flat(a), n);
    const want = jacobiEigenvalues(a);
    want.forEach((w, k) => expect(got[k]).toBeCloseTo(w, 10));
  });

  it('recovers a known spectrum with repeated and zero eigenvalues', () => {
    const lambda = [0, 0, 0.5, 2, 2, 2, 9];
    const q = randomOrthogonal(lambda.length, 11);
    // A = Qᵀ diag(λ) Q
    const a = q.map((_, i) => q.map((_, j) => lambda.reduce((s, l, k) => s + q[k][i] * l * q[k][j], 0)));
    const got = symmetricEigenvalues(flat(a), lambda.length);
    lambda.forEach((l, k) => expect(got[k]).toBeCloseTo(l, 10));
  });

  it('leaves its input alone and handles diagonal and empty matrices', () => {
    const a = Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]);
    const copy = a.slice();
    expect(Array.from(symmetricEigenvalues(a, 3))).toEqual([1, 2, 3]);
    expect(a).toEqual(copy);
    expect(symmetricEigenvalues(new Float64Array(0), 0).length).toBe(0);
  });
});

describe('rankMe', () => {
  it('is the number of equal singular values, and 1 for rank one', () => {
    expect(rankMe([2, 2, 2, 2, 0, 0])).toBeCloseTo(4, 4);
    expect(rankMe([5, 0, 0, 0])).toBeCloseTo(1, 4);
    expect(rankMe([1, 1e-12])).toBeCloseTo(1, 4);
  });

  it('lies between 1 and the count for any spectrum, and is scale invariant', () => {
    const sigma = [3, 1, 0.5, 0.1, 0.01];
    const r = rankMe(sigma);
    expect(r).toBeGreaterThan(1);
    expect(r).toBeLessThan(5);
    expect(rankMe(sigma.map((s) => s * 1000))).toBeCloseTo(r, 10);
  });

  it('is NaN for an all-zero batch', () => {
    expect(rankMe([0, 0, 0])).toBeNaN();
  });

  it('of a batch of k orthogonal rows of equal norm is k', () => {
    const q = randomOrthogonal(6, 3)
      .slice(0, 4)
      .map((r) => r.map((v) => 3 * v)); // [4, 6]
    const sigma = singularValuesFromGram(flat(gramOf(q)), 4);
    sigma.forEach((s) => expect(s).toBeCloseTo(3, 10));
    expect(rankMe(sigma)).toBeCloseTo(4, 4);
  });
});

/** Float64 reference of every diagnostic, straight from the definitions. */
function reference(x: number[][]) {
  const b = x.length;
  const n = x[0].length;
  const mean = transpose(x).map((col) => col.reduce((a, v) => a + v, 0) / b);
  const xc = x.map((r) => r.map((v, j) => v - mean[j]));
  const cov = transpose(xc).map((ci) => transpose(xc).map((cj) => ci.reduce((a, v, k) => a + v * cj[k], 0) / (b - 1)));
  const std = cov.map((r, j) => Math.sqrt(r[j]));
  let cos = 0;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < b; j++) {
      if (i === j) continue;
      const dot = x[i].reduce((a, v, k) => a + v * x[j][k], 0);
      cos += dot / (Math.hypot(...x[i]) * Math.hypot(...x[j]));
    }
  }
  let off = 0;
  cov.forEach((r, i) =>
    r.forEach((v, j) => {
      if (i !== j) off += v * v;
    }),
  );
  const sigma = jacobiEigenvalues(b <= n ? gramOf(x) : gramOf(transpose(x))).map((l) => Math.sqrt(Math.max(l, 0)));
  return {
    stdMin: Math.min(...std),
    stdMean: std.reduce((a, v) => a + v, 0) / n,
    stdMax: Math.max(...std),
    cosine: cos / (b * (b - 1)),
    covSq: off / (n * (n - 1)),
    rankMe: rankMe(sigma),
  };
}

async function diagnose(x: number[][]) {
  const t = tf.tensor2d(x);
  const packed = packDiagnostics(t);
  const values = await packed.data();
  tf.dispose([t, packed]);
  return readDiagnostics(values, x.length, x[0].length);
}

describe('packDiagnostics + readDiagnostics', () => {
  it.each([
    [8, 5],
    [6, 10],
    [16, 16],
  ])('match the float64 definitions on a random [%i, %i] batch', async (b, n) => {
    // Shifted and unevenly scaled columns, as real embeddings are.
    const x = randomMatrix(b, n, b * 100 + n).map((r) => r.map((v, j) => (v + 0.3 * j) * (1 + j / n)));
    const got = await diagnose(x);
    const want = reference(x);
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      expect(got[k], k).toBeCloseTo(want[k], 4);
    }
  });

  it('see a collapsed batch (identical rows): std 0, cosine 1, covariance 0, RankMe 1', async () => {
    const row = [0.5, -1, 2, 0.25];
    const got = await diagnose(Array.from({ length: 6 }, () => row));
    expect(got.stdMax).toBeCloseTo(0, 6);
    expect(got.cosine).toBeCloseTo(1, 5);
    expect(got.covSq).toBeCloseTo(0, 8);
    expect(got.rankMe).toBeCloseTo(1, 3);
  });

  it('stay finite when a row is all zeros', async () => {
    const x = randomMatrix(5, 4, 9);
    x[2] = [0, 0, 0, 0];
    const got = await diagnose(x);
    for (const v of Object.values(got)) expect(Number.isFinite(v)).toBe(true);
    expect(got.cosine).toBeCloseTo((reference(x.filter((_, i) => i !== 2)).cosine * (4 * 3)) / (5 * 4), 4);
  });

  it('leak no tensors', async () => {
    const before = tf.memory().numTensors;
    await diagnose(randomMatrix(4, 3, 1));
    expect(tf.memory().numTensors).toBe(before);
  });
});
