// Weighted k-NN classification of frozen features: Wu, Xiong, Yu & Lin, "Unsupervised Feature
// Learning via Non-Parametric Instance Discrimination", CVPR 2018, as DINO's eval_knn.py and
// solo-learn compute it: L2-normalized features, cosine similarity, the k most similar training
// features vote for their class with weight exp(similarity / T).
import * as tf from '@tensorflow/tfjs';

export interface KnnOptions {
  k: number; // neighbours (default 20)
  temperature: number; // T (default 0.07)
  numClasses: number;
  /** Test rows per similarity block: [chunk, N] floats on device at a time. */
  chunk?: number;
}

export interface KnnResult {
  top1: number; // share of test samples whose best class is right
  top5: number | null; // right class among the best 5 (null with fewer than 5 classes)
  predictions: Int32Array; // [M] best class per test sample
  /** [M, k] neighbour indices into the training set and their cosine similarities, best first. */
  neighbours: Int32Array;
  similarities: Float32Array;
}

/** Rows scaled to unit L2 norm (zero rows stay zero). [N, D] -> [N, D]. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)));
}

/**
 * Votes of one test sample: score_c = Σ_{j in top-k, y_j = c} exp(s_j / T). Ties between classes
 * go to the lower class index (a stable descending sort, as torch.sort on CPU gives in practice).
 */
export function vote(sims: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, temperature: number): Float64Array {
  const scores = new Float64Array(numClasses);
  for (let j = 0; j < sims.length; j++) scores[labels[j]] += Math.exp(sims[j] / temperature);
  return scores;
}

export const ranking = (scores: Float64Array) => Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);

/**
 * train [N, D], test [M, D] (any scale: both are normalized here); labels index classes.
 * Similarity and top-k run on device in blocks of `chunk` test rows; only [chunk, k] indices and
 * similarities are read back, asynchronously, so N = 50,000 by M = 10,000 fits in memory.
 */
export async function knnClassify(
  train: tf.Tensor2D,
  trainLabels: Int32Array,
  test: tf.Tensor2D,
  testLabels: Int32Array,
  o: KnnOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<KnnResult> {
  const [n] = train.shape;
  const [m] = test.shape;
  if (n === 0 || m === 0) throw new Error(`k-NN needs training and test features; got ${n} training and ${m} test samples`);
  if (train.shape[1] !== test.shape[1]) throw new Error(`feature sizes differ: training ${train.shape[1]}, test ${test.shape[1]}`);
  const k = Math.min(o.k, n);
  const chunk = o.chunk ?? Math.max(1, Math.floor(2 ** 24 / n)); // about 64 MB of similarities
  const neighbours = new Int32Array(m * k);
  const similarities = new Float32Array(m * k);
  const predictions = new Int32Array(m);
  let right1 = 0;
  let right5 = 0;
  const trainNorm = l2Normalize(train);
  try {
    for (let start = 0; start < m; start += chunk) {
      const rows = Math.min(chunk, m - start);
      const { values, indices } = tf.tidy(() => {
        const q = l2Normalize(tf.slice(test, [start, 0], [rows, -1]) as tf.Tensor2D);
        return tf.topk(tf.matMul(q, trainNorm, false, true), k); // [rows, k], best first
      });
      const [vals, idx] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      similarities.set(vals, start * k);
      neighbours.set(idx, start * k);
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        const labels = Array.from(idx.subarray(r * k, (r + 1) * k), (j) => trainLabels[j]);
        const order = ranking(vote(vals.subarray(r * k, (r + 1) * k), labels, o.numClasses, o.temperature));
        predictions[i] = order[0];
        if (order[0] === testLabels[i]) right1++;
        if (order.slice(0, 5).includes(testLabels[i])) right5++;
      }
      onProgress?.(start + rows, m);
    }
  } finally {
    trainNorm.dispose();
  }
  return { top1: right1 / m, top5: o.numClasses >= 5 ? right5 / m : null, predictions, neighbours, similarities };
}
