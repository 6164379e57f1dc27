// Clusters and coverage of a feature set: spherical k-means with k-means++ seeding, the silhouette
// to choose k, and k-center greedy to pick a subset that covers the set. Rows are L2-normalized by
// the caller; the O(n·k·d) products run on the active TF.js backend, the O(n·d) rest in JS.
import * as tf from '@tensorflow/tfjs';
import { mulberry32, permutation } from '../dataset/random';
import { nextTask } from '../train/next-task';
import { checkFeatures } from './graph';

export interface KMeansResult {
  assign: Int32Array; // [n] cluster of each row
  centroids: Float32Array; // [k, d] row-major, unit length
  inertia: number; // Σ_i (1 − cos(x_i, centroid of i))
  sizes: Int32Array; // [k] members per cluster
  exemplars: number[][]; // [k][≤ exemplars] members closest to the centroid, closest first
  iterations: number; // assignment passes run, the last one changing nothing unless maxIter stopped it
}

export interface KMeansOptions {
  seed?: number; // of the k-means++ draws (default 0)
  maxIter?: number; // assignment passes at most (default 50)
  exemplars?: number; // members listed per cluster (default 8)
  cancelled?: () => boolean; // checked between passes; true throws Error('cancelled')
}

const dotRows = (a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
  return s;
};

/** Cosine similarity of every row of all [n, d] to its row p, read back. [n]. */
async function simsToRow(all: tf.Tensor2D, p: number): Promise<Float32Array> {
  const [n, d] = all.shape;
  const s = tf.tidy(() => tf.reshape(tf.matMul(all, tf.slice(all, [p, 0], [1, d]), false, true), [n]));
  try {
    return (await s.data()) as Float32Array;
  } finally {
    s.dispose();
  }
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding", SODA
 * 2007): the first center uniformly, each next one drawn with probability ∝ D(x)², D the distance to
 * the nearest center so far. For unit rows ‖a − b‖² = 2 (1 − cos), so 1 − cos is D² up to a factor.
 * Returns the k seed rows' indices.
 */
async function seedPlusPlus(all: tf.Tensor2D, k: number, rand: () => number, cancelled?: () => boolean): Promise<Int32Array> {
  const [n] = all.shape;
  const seeds = new Int32Array(k);
  const dist = new Float64Array(n).fill(Infinity);
  seeds[0] = Math.floor(rand() * n);
  for (let c = 1; c < k; c++) {
    // k products of [n, d] by [d]: with k in the hundreds, as long as a few Lloyd passes.
    await nextTask();
    if (cancelled?.()) throw new Error('cancelled');
    const s = await simsToRow(all, seeds[c - 1]);
    let total = 0;
    for (let i = 0; i < n; i++) total += dist[i] = Math.min(dist[i], Math.max(0, 1 - s[i]));
    // total = 0: fewer distinct rows than k, every row is already a center, any draw is as good.
    let pick = 0;
    if (total === 0) pick = Math.floor(rand() * n);
    else {
      let r = rand() * total;
      for (; pick < n - 1 && (r -= dist[pick]) >= 0; pick++);
      while (dist[pick] === 0) pick--; // rounding carried r past the last positive weight
    }
    seeds[c] = pick;
  }
  return seeds;
}

/**
 * One Lloyd assignment pass: each row to the centroid of highest cosine, argmax of X Cᵀ in blocks of
 * rows whose [B, k] similarities stay near 64 MB. Writes assign and best ([n] each, in place) and
 * returns how many rows changed cluster.
 */
async function assignPass(all: tf.Tensor2D, centroids: Float32Array, k: number, assign: Int32Array, best: Float32Array): Promise<number> {
  const [n, d] = all.shape;
  const block = Math.max(1, Math.floor(2 ** 24 / k));
  const c = tf.tensor2d(centroids, [k, d]);
  let changed = 0;
  try {
    for (let start = 0; start < n; start += block) {
      const rows = Math.min(block, n - start);
      const [arg, max] = tf.tidy(() => {
        const s = tf.matMul(tf.slice(all, [start, 0], [rows, d]), c, false, true); // [rows, k]
        return [tf.argMax(s, 1), tf.max(s, 1)];
      });
      try {
        const [a, m] = await Promise.all([arg.data(), max.data()]);
        for (let r = 0; r < rows; r++) {
          if (assign[start + r] !== a[r]) changed++;
          assign[start + r] = a[r];
          best[start + r] = m[r];
        }
      } finally {
        tf.dispose([arg, max]);
      }
    }
  } finally {
    c.dispose();
  }
  return changed;
}

/**
 * Centroids as the normalized sums of their members (spherical k-means: the unit vector maximizing
 * Σ cos to the members; Dhillon & Modha 2001, §3). An empty cluster is re-seeded at the row farthest
 * from its own centroid (best lowest), as scikit-learn's _relocate_empty_clusters does, one distinct
 * row per empty cluster. A cluster whose members sum to zero keeps its centroid.
 */
function updateCentroids(x: Float32Array, d: number, k: number, assign: Int32Array, best: Float32Array, centroids: Float32Array): void {
  const n = assign.length;
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const c = assign[i];
    sizes[c]++;
    for (let t = 0; t < d; t++) sums[c * d + t] += x[i * d + t];
  }
  const empty = [...sizes.keys()].filter((c) => sizes[c] === 0);
  const far = empty.length ? Int32Array.from(best.keys()).sort((a, b) => best[a] - best[b] || a - b) : new Int32Array(0);
  empty.forEach((c, e) => centroids.set(x.subarray(far[e] * d, (far[e] + 1) * d), c * d));
  for (let c = 0; c < k; c++) {
    if (sizes[c] === 0) continue;
    let norm = 0;
    for (let t = 0; t < d; t++) norm += sums[c * d + t] ** 2;
    norm = Math.sqrt(norm);
    if (norm > 1e-12) for (let t = 0; t < d; t++) centroids[c * d + t] = sums[c * d + t] / norm;
  }
}

async function kmeansOn(all: tf.Tensor2D, x: Float32Array, k: number, opts: KMeansOptions): Promise<KMeansResult> {
  const [n, d] = all.shape;
  const maxIter = opts.maxIter ?? 50;
  const perCluster = opts.exemplars ?? 8;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`maxIter must be a positive integer, got ${maxIter}`);
  if (!Number.isInteger(perCluster) || perCluster < 0) throw new Error(`exemplars must be a non-negative integer, got ${perCluster}`);
  const seeds = await seedPlusPlus(all, k, mulberry32(opts.seed ?? 0), opts.cancelled);
  const centroids = new Float32Array(k * d);
  seeds.forEach((p, c) => centroids.set(x.subarray(p * d, (p + 1) * d), c * d));
  const assign = new Int32Array(n).fill(-1);
  const best = new Float32Array(n);
  let iterations = 0;
  while (iterations < maxIter) {
    if (opts.cancelled?.()) throw new Error('cancelled');
    const changed = await assignPass(all, centroids, k, assign, best);
    iterations++;
    if (changed === 0) break;
    // After the last allowed pass too, so the centroids are always those of the assignment returned.
    updateCentroids(x, d, k, assign, best, centroids);
    await nextTask();
  }
  // The last pass's `best` was against the centroids before their update; these are against the final ones.
  const own = Float64Array.from(assign, (c, i) => dotRows(x, i, centroids, c, d));
  const sizes = new Int32Array(k);
  const members: number[][] = Array.from({ length: k }, () => []);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    sizes[assign[i]]++;
    members[assign[i]].push(i);
    inertia += 1 - own[i];
  }
  const exemplars = members.map((m) => m.sort((a, b) => own[b] - own[a] || a - b).slice(0, perCluster));
  return { assign, centroids, inertia, sizes, exemplars, iterations };
}

/** Throws unless 1 ≤ k ≤ n. */
function checkClusters(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (k > n) throw new Error(`cannot make k = ${k} clusters of ${n} rows`);
}

/**
 * Spherical k-means (Dhillon & Modha, "Concept decompositions for large sparse text data using
 * clustering", Machine Learning 2001): cosine similarity, centroids renormalized to unit length,
 * seeded by k-means++ (Arthur & Vassilvitskii 2007) from `seed`; Lloyd passes until no row changes
 * cluster or maxIter, yielding to the worker's messages between passes. An empty cluster is
 * re-seeded at the row farthest from its centroid. x [n, d] unit rows -> assign [n], centroids [k, d],
 * sizes [k], exemplars [k][≤ exemplars]. Re-running with the same seed gives the same result.
 */
export async function kmeans(x: Float32Array, n: number, d: number, k: number, opts: KMeansOptions = {}): Promise<KMeansResult> {
  checkFeatures(x, n, d);
  checkClusters(n, k);
  const all = tf.tensor2d(x, [n, d]);
  try {
    return await kmeansOn(all, x, k, opts);
  } finally {
    all.dispose();
  }
}

/**
 * Mean silhouette (Rousseeuw, "Silhouettes: a graphical aid to the interpretation and validation of
 * cluster analysis", J. Comput. Appl. Math. 1987) with cosine distance 1 − cos, over a seeded sample
 * of at most `sample` rows (default 1000) so the pairwise distances cost O(sample² · d), not O(n²·d):
 * a(i) the mean distance to the other sampled rows of its cluster, b(i) the smallest mean distance
 * to the sampled rows of another cluster, s(i) = (b − a) / max(a, b). A row alone in its cluster
 * (within the sample) counts 0, as in Rousseeuw and scikit-learn; so does every row when the sample
 * holds one cluster. x [n, d], assign [n] -> a number in [-1, 1].
 */
export function silhouette(
  x: Float32Array,
  n: number,
  d: number,
  assign: Int32Array,
  k: number,
  opts: { sample?: number; seed?: number } = {},
): number {
  checkFeatures(x, n, d);
  if (assign.length !== n) throw new Error(`expected ${n} assignments, got ${assign.length}`);
  checkClusters(n, k);
  const bad = assign.findIndex((c) => c < 0 || c >= k);
  if (bad >= 0) throw new Error(`row ${bad} is assigned to cluster ${assign[bad]}, outside 0..${k - 1}`);
  const sample = opts.sample ?? 1000;
  if (!Number.isInteger(sample) || sample < 1) throw new Error(`sample must be a positive integer, got ${sample}`);
  const s = Math.min(sample, n);
  const rows = permutation(n, mulberry32(opts.seed ?? 0)).subarray(0, s);
  const xs = new Float32Array(s * d); // the sampled rows, contiguous
  rows.forEach((i, r) => xs.set(x.subarray(i * d, (i + 1) * d), r * d));
  const cluster = Int32Array.from(rows, (i) => assign[i]);
  const counts = new Int32Array(k);
  for (const c of cluster) counts[c]++;
  const sums = new Float64Array(s * k); // [s, k]: Σ distance from sampled row to each cluster's sampled rows
  for (let a = 0; a < s; a++) {
    for (let b = a + 1; b < s; b++) {
      const dist = 1 - dotRows(xs, a, xs, b, d);
      sums[a * k + cluster[b]] += dist;
      sums[b * k + cluster[a]] += dist;
    }
  }
  let total = 0;
  for (let a = 0; a < s; a++) {
    const own = cluster[a];
    if (counts[own] < 2) continue;
    const inner = sums[a * k + own] / (counts[own] - 1);
    let outer = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c] > 0) outer = Math.min(outer, sums[a * k + c] / counts[c]);
    const spread = Math.max(inner, outer);
    if (outer < Infinity && spread > 0) total += (outer - inner) / spread;
  }
  return total / s;
}

/**
 * k-means for each k in ks (each 2..n), scored by the silhouette of its clustering on one seeded
 * sample (the same rows for every k, so the scores compare like with like). The best k has the
 * highest score; ties go to the smaller k. Scores come in the order of ks.
 */
export async function suggestK(
  x: Float32Array,
  n: number,
  d: number,
  ks: number[],
  opts: { seed?: number; sample?: number; onProgress?: (done: number, total: number) => void; cancelled?: () => boolean } = {},
): Promise<{ best: number; scores: { k: number; silhouette: number }[] }> {
  checkFeatures(x, n, d);
  if (ks.length === 0) throw new Error('suggestK needs at least one k to try, got none');
  for (const k of ks) {
    checkClusters(n, k);
    if (k < 2) throw new Error(`the silhouette needs k ≥ 2 clusters, got k = ${k}`);
  }
  const scores: { k: number; silhouette: number }[] = [];
  const all = tf.tensor2d(x, [n, d]);
  try {
    for (const k of ks) {
      const { assign } = await kmeansOn(all, x, k, { seed: opts.seed, cancelled: opts.cancelled, exemplars: 0 });
      scores.push({ k, silhouette: silhouette(x, n, d, assign, k, { sample: opts.sample, seed: opts.seed }) });
      opts.onProgress?.(scores.length, ks.length);
      await nextTask();
    }
  } finally {
    all.dispose();
  }
  const best = scores.reduce((b, s) => (s.silhouette > b.silhouette || (s.silhouette === b.silhouette && s.k < b.k) ? s : b));
  return { best: best.k, scores };
}

// Added to a picked row's distance so it is never picked again, even when rows repeat (its own
// distance is 0 up to rounding, as are its copies'). Distances lie in [0, 2].
const PICKED = 4;

/**
 * k-center greedy, the farthest-point traversal of Gonzalez ("Clustering to minimize the maximum
 * intercluster distance", Theor. Comput. Sci. 1985; a 2-approximation of the best covering radius),
 * as Sener & Savarese use it for coreset selection ("Active learning for convolutional neural
 * networks: a core-set approach", ICLR 2018), with cosine distance 1 − cos. Starts at the row most
 * similar to the mean direction, then adds the row farthest from its nearest chosen center. Each pick
 * is one [n, d]·[d] product on the active backend; the nearest-center distances stay on device and
 * only the farthest row and its distance come back. x [n, d] unit rows -> picked [m] in order, radius
 * [m]: the covering radius (largest distance of any row to its nearest center) after each pick.
 */
export async function kCenterGreedy(
  x: Float32Array,
  n: number,
  d: number,
  m: number,
  opts: { cancelled?: () => boolean } = {},
): Promise<{ picked: Int32Array; radius: Float32Array }> {
  checkFeatures(x, n, d);
  if (!Number.isInteger(m) || m < 1 || m > n) throw new Error(`m must be an integer in 1..${n} (the rows), got ${m}`);
  const picked = new Int32Array(m);
  const radius = new Float32Array(m);
  const all = tf.tensor2d(x, [n, d]);
  let nearest: tf.Tensor1D | null = null; // [n] distance of each row to its nearest center
  try {
    const start = tf.tidy(() => tf.argMax(tf.reshape(tf.matMul(all, tf.sum(all, 0, true), false, true), [n])));
    picked[0] = (await start.data())[0];
    start.dispose();
    for (let t = 0; t < m; t++) {
      if (opts.cancelled?.()) throw new Error('cancelled');
      const p = picked[t];
      const prev: tf.Tensor1D | null = nearest;
      const next: tf.Tensor1D = tf.tidy(() => {
        const dist = tf.sub(1, tf.reshape(tf.matMul(all, tf.slice(all, [p, 0], [1, d]), false, true), [n]));
        // Cast and scaled: tfjs 4.22's WASM OneHot writes a float32 on-value's integer bits (./graph.ts).
        const masked = tf.sub(dist, tf.reshape(tf.mul(tf.cast(tf.oneHot(tf.tensor1d([p], 'int32'), n), 'float32'), PICKED), [n]));
        return (prev ? tf.minimum(prev, masked) : masked) as tf.Tensor1D;
      });
      prev?.dispose();
      nearest = next;
      // The index as float (exact below 2^24 rows) beside the distance: one read-back per pick.
      const far = tf.tidy(() => tf.stack([tf.cast(tf.argMax(next), 'float32'), tf.max(next)]));
      const [at, r] = await far.data();
      far.dispose();
      radius[t] = Math.max(0, r);
      if (t + 1 < m) picked[t + 1] = at;
      await nextTask();
    }
  } finally {
    all.dispose();
    nearest?.dispose();
  }
  return { picked, radius };
}
