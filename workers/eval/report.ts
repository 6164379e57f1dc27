// The evaluation table: the trained encoder, a randomly initialized one of the same architecture
// and seed, and raw pixels, on the same split with the same settings, so the gain from training
// reads at a glance. k-NN or linear probe, on frozen features.
import * as tf from '@tensorflow/tfjs';
import type { EvalKind, EvalReport } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../data/dataset';
import { buildModel, type VicregModel } from '../model/model';
import { embed, type FeatLayer } from './features';
import { knnClassify } from './knn';
import { linearProbe } from './probe';

export async function evaluationReport(
  kind: EvalKind,
  trained: { model: VicregModel; step: number; config: TrainConfig },
  data: Dataset,
  c: TrainConfig,
  onProgress: (done: number, total: number) => void,
  cancelled: () => boolean,
): Promise<EvalReport> {
  const what = kind === 'knn' ? 'k-NN' : 'the linear probe';
  if (data.summary.unlabeled) throw new Error(`${what} needs labels: this dataset has no class subfolders`);
  if (data.summary.classes.length < 2) throw new Error(`${what} needs at least two classes`);
  if (data.test.length === 0) throw new Error('the test split is empty: raise testFraction above 0');
  const numClasses = data.summary.classes.length;
  const trainY = Int32Array.from(data.train, (i) => data.labels[i]);
  const testY = Int32Array.from(data.test, (i) => data.labels[i]);
  // Progress in units of images embedded, plus, for the probe, its epochs counted as images.
  const perSet = data.train.length + data.test.length + (kind === 'probe' ? c.probeEpochs * 10 : 0);
  let base = 0;
  const random = buildModel(trained.config); // same architecture and seed, before any step
  const rows: EvalReport['rows'] = [];
  try {
    const candidates: [EvalReport['rows'][number]['name'], VicregModel | null, FeatLayer][] = [
      ['trained', trained.model, c.featLayer],
      ['random init', random, c.featLayer],
      ['raw pixels', null, 'pixels'],
    ];
    for (const [name, model, layer] of candidates) {
      if (cancelled()) throw new Error(`${what} cancelled`);
      const train = await embed(model, data, data.train, trained.config.imageSize, layer, (d) => onProgress(base + d, 3 * perSet));
      const test = await embed(model, data, data.test, trained.config.imageSize, layer, (d) => onProgress(base + data.train.length + d, 3 * perSet));
      const embedded = base + data.train.length + data.test.length;
      try {
        if (kind === 'knn') {
          const r = await knnClassify(train, trainY, test, testY, { k: c.knnK, temperature: c.knnT, numClasses });
          rows.push({ name, top1: r.top1, top5: r.top5, dim: train.shape[1] });
        } else {
          const r = await linearProbe(train, trainY, test, testY, { numClasses, epochs: c.probeEpochs, lr: c.probeLr, weightDecay: c.probeWeightDecay, seed: c.seed },
            (e) => onProgress(embedded + e * 10, 3 * perSet), cancelled);
          rows.push({ name, top1: r.top1, top5: r.top5, dim: train.shape[1], perClass: r.perClass, confusion: r.confusion });
        }
      } finally {
        tf.dispose([train, test]);
      }
      base += perSet;
    }
  } finally {
    random.dispose();
  }
  return {
    kind, featLayer: c.featLayer, trainCount: data.train.length, testCount: data.test.length, step: trained.step,
    classes: data.summary.classes.map((k) => k.name),
    settings: kind === 'knn' ? `k = ${c.knnK}, T = ${c.knnT}` : `${c.probeEpochs} epochs, lr ${c.probeLr}, weight decay ${c.probeWeightDecay}, SGD momentum 0.9, cosine`,
    rows,
  };
}
