// The exact k-nearest-neighbour graph of a feature set by cosine similarity: what the outlier,
// near-duplicate and label-error views (./curate.ts) read. Rows are L2-normalized by the caller, so
// cosine similarity is a dot product and a block of rows against all of X is one matmul.
import * as tf from '@tensorflow/tfjs';
import { nextTask } from '../train/next-task';

export interface KnnGraph {
  n: number; // rows
  k: number; // neighbours per row
  indices: Int32Array; // [n, k] row-major: row i's neighbours, most similar first, never i itself
  sims: Float32Array; // [n, k] their cosine similarities
}

/** Throws unless x holds n rows of d values; shared by every function that takes features. */
export function checkFeatures(x: Float32Array, n: number, d: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1)
    throw new Error(`features need n ≥ 0 rows of d ≥ 1 dims, got n = ${n}, d = ${d}`);
  if (x.length !== n * d) throw new Error(`expected ${n}×${d} = ${n * d} feature values, got ${x.length}`);
}

// Subtracted from a row's similarity to itself so topk passes over it, while an exact duplicate
// (similarity 1 too) is still found. Any cosine lies in [-1, 1]; 1e4 stays within float16's range
// (65504), which WebGL uses where float32 textures are missing.
const SELF_PENALTY = 1e4;

/**
 * Exact k nearest neighbours of every row of x [n, d] by cosine (brute force, as FAISS's
 * IndexFlatIP; Johnson, Douze & Jégou, "Billion-scale similarity search with GPUs", 2019): X is
 * uploaded once, each block of `block` rows [B, d] is multiplied by Xᵀ [d, n] on the active
 * backend, the diagonal is pushed down by SELF_PENALTY and tf.topk keeps [B, k]; only that comes
 * back. k is clamped to n − 1. The default block keeps the [B, n] similarities near 64 MB.
 * Returns indices and sims [n, k], most similar first.
 */
export async function knnGraph(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  opts: { block?: number; onProgress?: (done: number, total: number) => void; cancelled?: () => boolean } = {},
): Promise<KnnGraph> {
  checkFeatures(x, n, d);
  if (n < 2) throw new Error(`a neighbour graph needs at least 2 rows, got ${n}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  const block = opts.block ?? Math.max(1, Math.floor(2 ** 24 / n));
  if (!Number.isInteger(block) || block < 1) throw new Error(`block must be a positive integer, got ${block}`);
  k = Math.min(k, n - 1);
  const indices = new Int32Array(n * k);
  const sims = new Float32Array(n * k);
  const all = tf.tensor2d(x, [n, d]);
  try {
    for (let start = 0; start < n; start += block) {
      if (opts.cancelled?.()) throw new Error('cancelled');
      const rows = Math.min(block, n - start);
      const { values, indices: idx } = tf.tidy(() => {
        const s = tf.matMul(tf.slice(all, [start, 0], [rows, d]), all, false, true); // [rows, n]
        // An int32 one-hot, cast and scaled: tfjs 4.22's WASM OneHot with dtype 'float32' writes the
        // on-value's integer bits into the float (1e4 came out as 1.4e-41), which left each image its
        // own nearest neighbour on WASM (graph.test.ts checks both backends).
        const self = tf.mul(tf.cast(tf.oneHot(tf.range(start, start + rows, 1, 'int32'), n), 'float32'), SELF_PENALTY);
        return tf.topk(tf.sub(s, self), k); // [rows, k], best first
      });
      try {
        const [v, i] = await Promise.all([values.data(), idx.data()]);
        sims.set(v, start * k);
        indices.set(i, start * k);
      } finally {
        tf.dispose([values, idx]);
      }
      opts.onProgress?.(start + rows, n);
      await nextTask();
    }
  } finally {
    all.dispose();
  }
  return { n, k, indices, sims };
}

/**
 * The k rows of x [n, d] most similar to one unit query [d] (an image, a new image, the normalized
 * mean of a selection), most similar first; `exclude` (the query's own row) is skipped. One
 * matrix-vector product: O(n·d) in JS, cheaper than uploading X to a device for a single query.
 * Ties keep the lower index first. Returns indices and sims [min(k, candidates)].
 */
export async function cosineTopK(
  x: Float32Array,
  n: number,
  d: number,
  query: Float32Array,
  k: number,
  exclude?: number,
): Promise<{ indices: Int32Array; sims: Float32Array }> {
  checkFeatures(x, n, d);
  if (query.length !== d) throw new Error(`the query has ${query.length} dims, the features ${d}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  const keep = Math.min(k, exclude !== undefined && exclude >= 0 && exclude < n ? n - 1 : n);
  // A sorted list of the best so far: an insertion costs O(k) but only happens for a row that beats
  // the current k-th, which after the first few thousand rows is rare.
  const best = new Int32Array(keep);
  const bestSims = new Float32Array(keep);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (i === exclude) continue;
    let s = 0;
    for (let t = 0, o = i * d; t < d; t++) s += x[o + t] * query[t];
    s = Math.fround(s); // compared as stored, so equal similarities keep index order
    if (filled === keep && s <= bestSims[keep - 1]) continue;
    let at = filled === keep ? keep - 1 : filled++;
    while (at > 0 && bestSims[at - 1] < s) {
      best[at] = best[at - 1];
      bestSims[at] = bestSims[at - 1];
      at--;
    }
    best[at] = i;
    bestSims[at] = s;
  }
  return { indices: best, sims: bestSims };
}
