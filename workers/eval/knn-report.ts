// The k-NN table: the trained encoder, a randomly initialized one of the same architecture and
// seed, and raw pixels, all on the same split with the same k and T, so the gain from training
// reads at a glance.
import * as tf from '@tensorflow/tfjs';
import type { KnnReport } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../data/dataset';
import { buildModel, type VicregModel } from '../model/model';
import { embed, type FeatLayer } from './features';
import { knnClassify } from './knn';

export async function knnReport(
  trained: { model: VicregModel; step: number; config: TrainConfig },
  data: Dataset,
  c: TrainConfig,
  onProgress: (done: number, total: number) => void,
): Promise<KnnReport> {
  if (data.summary.unlabeled) throw new Error('k-NN needs labels: this dataset has no class subfolders');
  if (data.summary.classes.length < 2) throw new Error('k-NN needs at least two classes');
  if (data.test.length === 0) throw new Error('the test split is empty: raise testFraction above 0');
  const numClasses = data.summary.classes.length;
  const perRow = data.train.length + data.test.length;
  const total = 3 * perRow;
  let base = 0;
  const progress = (done: number) => onProgress(base + done, total);
  const random = buildModel(trained.config); // same architecture and seed, before any step
  const rows: KnnReport['rows'] = [];
  try {
    const candidates: [KnnReport['rows'][number]['name'], VicregModel | null, FeatLayer][] = [
      ['trained', trained.model, c.featLayer],
      ['random init', random, c.featLayer],
      ['raw pixels', null, 'pixels'],
    ];
    for (const [name, model, layer] of candidates) {
      const train = await embed(model, data, data.train, trained.config.imageSize, layer, progress);
      base += data.train.length;
      const test = await embed(model, data, data.test, trained.config.imageSize, layer, progress);
      base += data.test.length;
      try {
        const r = await knnClassify(train, Int32Array.from(data.train, (i) => data.labels[i]), test, Int32Array.from(data.test, (i) => data.labels[i]), { k: c.knnK, temperature: c.knnT, numClasses });
        rows.push({ name, top1: r.top1, top5: r.top5, dim: train.shape[1] });
      } finally {
        tf.dispose([train, test]);
      }
    }
  } finally {
    random.dispose();
  }
  return { k: c.knnK, temperature: c.knnT, featLayer: c.featLayer, trainCount: data.train.length, testCount: data.test.length, step: trained.step, rows };
}
