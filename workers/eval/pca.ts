// Principal component analysis for the 2-D feature map. TF.js has no eigendecomposition, so the
// covariance (or, when there are more dimensions than points, the Gram matrix) is formed on device,
// read back, and its top eigenvectors found in float64 JS by subspace iteration.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../dataset/random';

/**
 * The k largest eigenpairs of a symmetric positive semi-definite A [n, n] (row-major, float64) by
 * orthogonal iteration (Golub & Van Loan, "Matrix Computations", 4th ed., §8.2.4): Q ← orth(A Q),
 * Gram–Schmidt each step, from a seeded random start. Column i converges at the rate
 * λ_{i+1} / λ_i; the loop stops when no column moves by more than `tol` (1 − |cos|), or after
 * maxIter. Vectors are unit length, signed so that their largest component is positive.
 */
export function topEigenpairs(
  a: Float64Array,
  n: number,
  k: number,
  maxIter = 2000,
  tol = 1e-13,
): { values: Float64Array; vectors: Float64Array[] } {
  if (a.length !== n * n) throw new Error(`expected an ${n}×${n} matrix (${n * n} values), got ${a.length} values`);
  if (k > n) throw new Error(`asked for ${k} eigenvectors of a ${n}×${n} matrix`);
  const rand = mulberry32(12345);
  let q = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => rand() - 0.5));
  orthonormalize(q);
  const times = (v: Float64Array) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * v[j];
      out[i] = s;
    }
    return out;
  };
  for (let iter = 0; iter < maxIter; iter++) {
    const next = q.map(times);
    orthonormalize(next);
    const moved = Math.max(...next.map((v, i) => 1 - Math.abs(dot(v, q[i]))));
    q = next;
    if (moved < tol) break;
  }
  const pairs = q.map((v) => ({ value: dot(v, times(v)), vector: signed(v) })).sort((x, y) => y.value - x.value);
  return { values: Float64Array.from(pairs, (p) => p.value), vectors: pairs.map((p) => p.vector) };
}

const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i], 0);

/** Modified Gram–Schmidt in place; a column that vanishes (rank-deficient A) is left at zero. */
function orthonormalize(q: Float64Array[]) {
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < i; j++) {
      const p = dot(q[i], q[j]);
      for (let t = 0; t < q[i].length; t++) q[i][t] -= p * q[j][t];
    }
    const norm = Math.sqrt(dot(q[i], q[i]));
    if (norm > 1e-300) for (let t = 0; t < q[i].length; t++) q[i][t] /= norm;
  }
}

function signed(v: Float64Array): Float64Array {
  let at = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[at])) at = i;
  return v[at] < 0 ? v.map((x) => -x) : v;
}

export interface Pca2d {
  coords: Float32Array; // [P, 2] row-major: each point on the first and second principal axis
  explained: [number, number]; // share of the total variance along each axis
}

/**
 * x [P, D] -> its centred rows projected on the top two principal axes. With D ≤ P the axes are
 * eigenvectors of the covariance X_cᵀX_c / (P − 1) [D, D]; otherwise of the Gram matrix
 * X_c X_cᵀ / (P − 1) [P, P], whose eigenvectors u_k give the coordinates u_k · sqrt((P − 1) λ_k)
 * directly (X_c = U S Vᵀ, so X_c v_k = s_k u_k). Either way the matrix read back is at most
 * min(P, D)² floats.
 */
export async function pca2d(x: tf.Tensor2D): Promise<Pca2d> {
  const [p, d] = x.shape;
  if (p < 2) throw new Error(`PCA needs at least 2 points, got ${p}`);
  const byCovariance = d <= p;
  const m = byCovariance ? d : p;
  const k = Math.min(2, m);
  const xc = tf.tidy(() => tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D);
  try {
    const small = tf.tidy(() => tf.div(byCovariance ? tf.matMul(xc, xc, true, false) : tf.matMul(xc, xc, false, true), p - 1));
    const values = Float64Array.from(await small.data());
    small.dispose();
    let trace = 0;
    for (let i = 0; i < m; i++) trace += values[i * m + i];
    const top = topEigenpairs(values, m, k);
    const explained: [number, number] = [0, 1].map((i) => (i < k && trace > 0 ? Math.max(top.values[i], 0) / trace : 0)) as [
      number,
      number,
    ];
    const coords = new Float32Array(2 * p);
    if (byCovariance) {
      const axes = tf.tensor2d(
        Float32Array.from({ length: d * 2 }, (_, t) => (t % 2 < k ? top.vectors[t % 2][Math.floor(t / 2)] : 0)),
        [d, 2],
      );
      const projected = tf.matMul(xc, axes);
      coords.set(await projected.data());
      tf.dispose([axes, projected]);
    } else {
      for (let i = 0; i < k; i++) {
        const s = Math.sqrt(Math.max(top.values[i], 0) * (p - 1));
        for (let r = 0; r < p; r++) coords[2 * r + i] = top.vectors[i][r] * s;
      }
    }
    return { coords, explained };
  } finally {
    xc.dispose();
  }
}
