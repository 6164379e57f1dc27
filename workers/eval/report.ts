// The evaluation table: the trained encoder, a randomly initialized one of the same architecture
// and seed, and raw pixels, on the same split with the same settings, so the gain from training
// reads at a glance. k-NN or linear probe, on frozen features (session.ts supplies them, cached).
import * as tf from '@tensorflow/tfjs';
import type { EvalKind, EvalReport } from '../contract/api';
import type { Dataset } from '../dataset/dataset';
import { buildModel } from '../model/model';
import type { FeaturePair } from './cache';
import type { EvalJob } from './job';
import { knnClassify } from './knn';
import { fitProbe, type ProbeHead } from './probe';
import { BASELINE_WEIGHT_DECAY, type BaselineKind, type BaselineLength, type ProbeStart, trainBaseline } from './finetune';
import { cloneModel } from './weights';

export type RowName = EvalReport['rows'][number]['name'];
export const ROWS: RowName[] = ['trained', 'random init', 'raw pixels'];

/** Features of one row's encoder for both splits; progress as (done, total) of its own work. The
 *  caller of the report disposes nothing: the report disposes what this returns. */
export type RowFeatures = (row: RowName, onProgress: (done: number, total: number) => void) => Promise<FeaturePair>;

/** The test split's identity: FNV-1a over the dataset's id and the test images' indices. */
export function splitKey(data: Pick<Dataset, 'test'> & { summary: { id: string } }): string {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (let i = 0; i < data.summary.id.length; i++) mix(data.summary.id.charCodeAt(i));
  for (const i of data.test) mix(i);
  return `${data.test.length}:${h.toString(16)}`;
}

/** Classes with no training or no test images, with their counts. */
export function missingClasses(data: Dataset): EvalReport['missingClasses'] {
  const names = data.summary.classes.map((k) => k.name);
  const train = names.map(() => 0);
  const test = names.map(() => 0);
  for (const i of data.train) train[data.labels[i]]++;
  for (const i of data.test) test[data.labels[i]]++;
  return names.map((name, k) => ({ name, train: train[k], test: test[k] })).filter((k) => k.train === 0 || k.test === 0);
}

/** Refuses what no evaluation can work with; `what` names the method in the message. */
export function checkEvaluable(data: Dataset, what: string): void {
  if (data.summary.unlabeled) throw new Error(`${what} needs labels: this dataset has no class subfolders`);
  if (data.summary.classes.length < 2) throw new Error(`${what} needs at least two classes`);
  if (data.test.length === 0) throw new Error('the test split is empty: raise testFraction above 0');
  if (data.train.length === 0) throw new Error('the training split is empty: lower testFraction');
}

export async function evaluationReport(
  job: EvalJob,
  kind: EvalKind,
  features: RowFeatures,
  onHead?: (head: ProbeHead) => void, // the trained encoder's probe, kept for inference
): Promise<EvalReport> {
  const { weights, data, config, onProgress, cancelled } = job;
  const what = kind === 'knn' ? 'k-NN' : 'the linear probe';
  checkEvaluable(data, what);
  const numClasses = data.summary.classes.length;
  const trainY = Int32Array.from(data.train, (i) => data.labels[i]);
  const testY = Int32Array.from(data.test, (i) => data.labels[i]);
  // Progress: each row is one unit, its features the first `share` of it, the classifier the rest.
  const share = kind === 'knn' ? 0.8 : 0.5;
  const total = ROWS.length;
  const rows: EvalReport['rows'] = [];
  for (const [r, name] of ROWS.entries()) {
    if (cancelled()) throw new Error(`${what} cancelled`);
    const { train, test } = await features(name, (done, of) => onProgress(r + (share * done) / Math.max(of, 1), total));
    try {
      if (kind === 'knn') {
        const k = await knnClassify(train, trainY, test, testY, { k: config.knnK, temperature: config.knnT, numClasses }, (done, of) =>
          onProgress(r + share + ((1 - share) * done) / of, total),
        );
        const correct = Uint8Array.from(k.predictions, (p, i) => (p === testY[i] ? 1 : 0));
        rows.push({ name, top1: k.top1, top5: k.top5, dim: train.shape[1], correct });
      } else {
        const p = await fitProbe(job, { train, test }, (e) => onProgress(r + share + ((1 - share) * e) / config.probeEpochs, total));
        rows.push({
          name,
          top1: p.top1,
          top5: p.top5,
          dim: train.shape[1],
          perClass: p.perClass,
          confusion: p.confusion,
          correct: p.correct,
        });
        if (name === 'trained') onHead?.(p.head);
      }
    } finally {
      tf.dispose([train, test]);
    }
  }
  const optimizer = config.probeOptimizer === 'adam' ? 'Adam' : 'SGD momentum 0.9';
  return {
    kind,
    featLayer: config.featLayer,
    featPool: config.featPool,
    trainCount: data.train.length,
    testCount: data.test.length,
    split: splitKey(data),
    step: weights.step,
    snapshot: weights.snapshot,
    bnAdaptSteps: config.bnAdaptSteps,
    classes: data.summary.classes.map((k) => k.name),
    missingClasses: missingClasses(data),
    settings:
      kind === 'knn'
        ? `k = ${config.knnK}, T = ${config.knnT}`
        : `${config.probeEpochs} epochs, lr ${config.probeLr}, weight decay ${config.probeWeightDecay}, ${optimizer}, cosine`,
    rows,
  };
}

/**
 * The fine-tune or supervised baseline (./finetune.ts) as a one-row report: a copy of the job's
 * weights (fine-tune) or a fresh init of their architecture with the page's seed (supervised),
 * trained on the training split for `length` (epochs, or the run's training time).
 */
export async function baselineReport(job: EvalJob, kind: BaselineKind, length: BaselineLength, probe?: ProbeStart): Promise<EvalReport> {
  const { weights: w, data, config, onProgress } = job;
  const model = kind === 'finetune' ? cloneModel(w.model, w.config) : buildModel({ ...w.config, seed: config.seed });
  try {
    checkEvaluable(data, kind === 'finetune' ? 'fine-tuning' : 'the supervised baseline');
    const t0 = performance.now();
    // Until a budgeted run has timed its steps its epochs are unknown: progress counts from 1 then.
    const planned = 'epochs' in length ? length.epochs : 1;
    onProgress(0, planned + 1);
    const r = await trainBaseline(job, { kind, model, length, onEpoch: (e, _, epochs) => onProgress(e, epochs + 1), probe });
    const epochs = r.cost.epochs;
    onProgress(epochs + 1, epochs + 1);
    const lr =
      kind === 'finetune'
        ? `lr head ${r.lr.head.toPrecision(2)}, backbone ${r.lr.backbone.toPrecision(2)}`
        : `lr ${r.lr.head.toPrecision(2)}`;
    return {
      kind,
      featLayer: 'pool',
      featPool: probe?.pool ?? 'global',
      trainCount: data.train.length,
      testCount: data.test.length,
      split: splitKey(data),
      step: kind === 'finetune' ? w.step : 0,
      snapshot: kind === 'finetune' && w.snapshot,
      bnAdaptSteps: 0,
      classes: data.summary.classes.map((k) => k.name),
      missingClasses: missingClasses(data),
      settings: `${probe ? `LP-FT from the linear probe on ${probe.pool === 'global' ? 'the global pool' : `the ${probe.pool} grid`}, ` : ''}${epochs} epochs, batch ${Math.min(w.config.batchSize, data.train.length)}, ${config.baselineAugment === 'light' ? 'a light crop and flip' : "VICReg's view 1"}, SGD momentum 0.9, ${lr}, weight decay ${BASELINE_WEIGHT_DECAY}, warmup then cosine`,
      rows: [
        {
          name: kind === 'finetune' ? 'fine-tune' : 'supervised',
          top1: r.top1,
          top5: r.top5,
          dim: model.backbone.featureDim,
          perClass: r.perClass,
          confusion: r.confusion,
          correct: r.correct,
        },
      ],
      curve: r.curve,
      seconds: (performance.now() - t0) / 1000,
      cost: r.cost,
    };
  } finally {
    model.dispose();
  }
}
