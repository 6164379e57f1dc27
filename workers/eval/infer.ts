// Inference on new images: each decoded as ingest does, embedded with the evaluated weights (the
// readout the evaluation uses), then compared with the training split's features (cached, as the
// k-NN's): its class by the k-NN vote (Wu et al. 2018: the k most cosine-similar training images
// vote with weight exp(similarity / T)) and, once a linear probe was trained on these weights, the
// probe's class probabilities; and its nearest training images.
import * as tf from '@tensorflow/tfjs';
import type { InferenceResult, SkippedFile } from '../contract/api';
import { rgbaImages } from '../dataset/preview';
import { embed, queryDataset } from './features';
import type { EvalJob } from './job';
import { l2Normalize } from './knn';
import { probeProbabilities, type ProbeHead } from './probe';

const NEIGHBOURS = 5;
const TOP_CLASSES = 3;
const THUMB_SIDE = 32;

/**
 * `images` (RGB at the dataset's stored size) against the training split of the job's data, whose
 * features under its weights are `train` [N, D] (the caller disposes it).
 */
export async function infer(
  { weights: w, data, config }: Pick<EvalJob, 'weights' | 'data' | 'config'>,
  train: tf.Tensor2D,
  images: { names: string[]; rgb: Uint8Array[]; skipped: SkippedFile[] },
  head: ProbeHead | null,
): Promise<InferenceResult> {
  const classes = data.summary.classes.map((k) => k.name);
  const base = { step: w.step, snapshot: w.snapshot, classes, skipped: images.skipped, k: Math.min(config.knnK, data.train.length) };
  if (images.rgb.length === 0) return { ...base, items: [] };
  const query = queryDataset(data, images.rgb);
  const all = Int32Array.from({ length: images.rgb.length }, (_, i) => i);
  const features = await embed(w.model, query, all, w.config.imageSize, config.featLayer, undefined, config.featPool);
  // The linear probe's classes, when one was trained on these weights' features (same readout).
  let probe: Float32Array | null = null;
  if (head && head.mean.length === features.shape[1]) {
    const p = probeProbabilities(head, features);
    probe = (await p.data()) as Float32Array;
    p.dispose();
  }
  const { values, indices } = tf.tidy(() => {
    const sims = tf.matMul(l2Normalize(features), l2Normalize(train), false, true); // [n, N]
    return tf.topk(sims, base.k);
  });
  features.dispose();
  const [sim, idx] = await Promise.all([values.data(), indices.data()]);
  tf.dispose([values, indices]);
  const K = base.k;
  const trainIndex = (q: number, j: number) => data.train[idx[q * K + j]];
  const shown = all.length ? Array.from(all, (q) => Array.from({ length: Math.min(NEIGHBOURS, K) }, (_, j) => trainIndex(q, j))) : [];
  const thumbs = await rgbaImages(data, shown.flat(), THUMB_SIDE);
  const own = await rgbaImages(query, all, THUMB_SIDE);
  const items = Array.from(all, (q) => {
    const votes = new Float64Array(classes.length);
    for (let j = 0; j < K; j++) votes[data.labels[trainIndex(q, j)]] += Math.exp(sim[q * K + j] / config.knnT);
    const total = votes.reduce((a, b) => a + b, 0);
    const top = Array.from(votes, (v, label) => ({ label, p: v / total }))
      .sort((a, b) => b.p - a.p)
      .slice(0, TOP_CLASSES);
    const C = classes.length;
    const probeTop = probe
      ? Array.from(probe.subarray(q * C, (q + 1) * C), (p, label) => ({ label, p }))
          .sort((a, b) => b.p - a.p)
          .slice(0, TOP_CLASSES)
      : undefined;
    return {
      name: images.names[q],
      thumb: own.images[q],
      classes: top,
      probe: probeTop,
      neighbours: shown[q].map((index, j) => ({
        index,
        label: data.labels[index],
        similarity: sim[q * K + j],
        thumb: thumbs.images[q * shown[q].length + j],
      })),
    };
  });
  return { ...base, items, thumbSize: thumbs.size };
}
