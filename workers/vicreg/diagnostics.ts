// Collapse diagnostics for a batch of embeddings X [B, n] (projector output or backbone features).
// The cheap statistics and a Gram matrix are computed on device and read back together every
// diagEvery steps; the singular values for RankMe come from the Gram's eigenvalues in JS, since
// TF.js has no SVD (σ_k(X)² = λ_k(XXᵀ) = λ_k(XᵀX), so the smaller side, min(B, n), suffices).
import * as tf from '@tensorflow/tfjs';
import type { FeatureDiagnostics } from '../contract/api';

/** Order of the statistics at the front of the packed vector. */
const STATS = ['stdMin', 'stdMean', 'stdMax', 'cosine', 'covSq'] as const;

/**
 * Packs [stdMin, stdMean, stdMax, cosine, covSq, ...gram (m·m, m = min(B, n))] into one [5 + m²]
 * vector, so one asynchronous read brings everything back.
 * - std: unbiased per-dimension std, no eps (eps would floor it at sqrt(eps) and hide collapse).
 * - cosine: mean over the B(B − 1) ordered pairs i ≠ j of cos(x_i, x_j).
 * - covSq: mean over the n(n − 1) off-diagonal entries of C², C = X_cᵀX_c / (B − 1); ‖C‖²_F is
 *   taken from the B×B Gram when B < n (‖AᵀA‖_F = ‖AAᵀ‖_F), so no n×n matrix is formed.
 * - gram: XXᵀ if B ≤ n else XᵀX, uncentred, as RankMe takes the embedding matrix itself.
 */
export function packDiagnostics(x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, n] = x.shape;
    const xc = tf.sub(x, tf.mean(x, 0, true));
    const variance = tf.div(tf.sum(tf.square(xc), 0), b - 1); // [n]
    const std = tf.sqrt(variance);
    const norms = tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12); // [B, 1]
    const xn = tf.div(x, norms);
    // Σ_ij cos = ‖Σ_i x̂_i‖², minus the diagonal Σ_i ‖x̂_i‖², without forming the B×B matrix.
    const cosSum = tf.sub(tf.sum(tf.square(tf.sum(xn, 0))), tf.sum(tf.square(xn)));
    const cosine = tf.div(cosSum, b * (b - 1));
    const small = b <= n ? tf.matMul(xc, xc, false, true) : tf.matMul(xc, xc, true, false);
    const covFro2 = tf.div(tf.sum(tf.square(small)), (b - 1) ** 2);
    const covSq = tf.div(tf.sub(covFro2, tf.sum(tf.square(variance))), n > 1 ? n * (n - 1) : 1);
    const gram = b <= n ? tf.matMul(x, x, false, true) : tf.matMul(x, x, true, false);
    return tf.concat([tf.stack([tf.min(std), tf.mean(std), tf.max(std), cosine, covSq]), tf.reshape(gram, [-1])]) as tf.Tensor1D;
  });
}

/** Unpacks what packDiagnostics produced (after `.data()`) and adds RankMe. */
export function readDiagnostics(values: ArrayLike<number>, b: number, n: number): FeatureDiagnostics {
  const m = Math.min(b, n);
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m * m; i++) gram[i] = values[STATS.length + i];
  const stats = Object.fromEntries(STATS.map((k, i) => [k, values[i]])) as Record<(typeof STATS)[number], number>;
  return { ...stats, rankMe: rankMe(singularValuesFromGram(gram, m)) };
}

/** σ_k = sqrt(max(λ_k, 0)) for the eigenvalues λ of a symmetric m×m Gram matrix (row-major). */
export function singularValuesFromGram(gram: Float64Array, m: number): Float64Array {
  return symmetricEigenvalues(gram, m).map((l) => Math.sqrt(Math.max(l, 0)));
}

/**
 * RankMe (Garrido, Balestriero, Najman & LeCun, "RankMe", ICML 2023, eq. 1):
 * exp(−Σ_k p_k log p_k) with p_k = σ_k / ‖σ‖₁ + 1e-7. Between 1 and min(B, n); NaN if σ holds
 * no positive value (an all-zero batch has no rank to speak of).
 */
export function rankMe(sigma: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < sigma.length; k++) total += sigma[k];
  if (!(total > 0)) return NaN;
  let entropy = 0;
  for (let k = 0; k < sigma.length; k++) {
    const p = sigma[k] / total + 1e-7;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/**
 * Eigenvalues of a symmetric matrix A [m, m] (row-major, not modified), ascending: Householder
 * reduction to tridiagonal form and the implicit QL algorithm, ported from JAMA's
 * EigenvalueDecomposition (tred2, tql2; public domain, after EISPACK) without the eigenvector
 * parts. O(m³): about 50 ms for m = 256 in Node 20.
 */
export function symmetricEigenvalues(a: Float64Array, m: number): Float64Array {
  const n = m;
  const V = Array.from({ length: n }, (_, i) => Float64Array.from(a.subarray(i * n, (i + 1) * n)));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  // tred2: Householder tridiagonalization (Bowdler, Martin, Reinsch & Wilkinson, EISPACK tred2).
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1][j];
        V[i][j] = 0;
        V[j][i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j][i] = f;
        g = e[j] + V[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k][j] * d[k];
          e[k] += V[k][j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k];
        d[j] = V[i - 1][j];
        V[i][j] = 0;
      }
    }
    d[i] = h;
  }
  // The tridiagonal's diagonal is now on V's diagonal. JAMA's accumulation of the transformations
  // only builds eigenvectors and leaves that diagonal as it is, so it is skipped.
  for (let j = 0; j < n; j++) d[j] = V[j][j];
  e[0] = 0;

  // tql2 without eigenvectors: implicit QL on the tridiagonal (d, e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m2 = l;
    while (m2 < n - 1 && Math.abs(e[m2]) > eps * tst1) m2++;
    if (m2 > l) {
      for (let iter = 0; iter < 100; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m2];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m2 - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  return d.sort();
}
