import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../contract/api';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { buildModel, type VicregModel } from '../model/model';
import { RunControl } from '../train/run';
import { train } from '../train/trainer';
import { FeatureCache, type FeaturePair } from './cache';
import { knnClassify } from './knn';
import { evaluationReport } from './report';
import type { EvalJob } from './job';
import { type EvalWeights, featureKey, featureMap, mapSample, neighbours, rowFeatures, takeWeights } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const c: TrainConfig = {
  ...DEFAULT_CONFIG,
  imageSize: 8,
  width: 2,
  projector: '8-8',
  batchSize: 8,
  knnK: 5,
  probeEpochs: 2,
  metricsEvery: 2,
};

/** 60 random 8×8 images in 3 classes; 12 go to the test split. */
function dataset() {
  const rand = mulberry32(2);
  const n = 60;
  return fromPixels(
    Uint8Array.from({ length: n * 64 * 3 }, () => Math.floor(rand() * 256)),
    { count: n, height: 8, width: 8, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 3),
    ['a', 'b', 'c'],
    { id: 's', name: 's', source: 'test', testFraction: 0.2, seed: 0 },
  );
}

/** A cache that counts the feature sets it computes. */
function countingCache() {
  const cache = new FeatureCache();
  const get = cache.get.bind(cache);
  let computed = 0;
  cache.get = (key, data, compute) => get(key, data, () => (computed++, compute()));
  return { cache, computed: () => computed };
}

/** An evaluation of `weights` with nothing to cancel it and no progress bar to feed. */
const job = (weights: EvalWeights, data: EvalJob['data'], config = c): EvalJob => ({
  weights,
  data,
  config,
  onProgress: () => {},
  cancelled: () => false,
});

const bytes = (m: VicregModel) => m.store.params.map((p) => Array.from(p.variable.dataSync()));
const release = (p: FeaturePair) => tf.dispose([p.train, p.test]);

describe('rowFeatures', () => {
  it('embeds each row once: k-NN, the probe and the map of the same weights share the features', async () => {
    const data = dataset();
    const model = buildModel(c);
    const w = takeWeights('run1', { model, step: 3, config: c }, false);
    const { cache, computed } = countingCache();
    await evaluationReport(job(w, data), 'knn', rowFeatures(cache, job(w, data)));
    expect(computed()).toBe(3);
    await evaluationReport(job(w, data), 'probe', rowFeatures(cache, job(w, data)));
    const map = await featureMap(cache, job(w, data));
    expect(computed()).toBe(3);
    expect(map.key).toBe(featureKey(w, c, 'trained'));
    // Another layer or BatchNorm adaptation are other features.
    release(
      await rowFeatures(cache, { weights: w, data, config: { ...c, featLayer: 'proj' }, cancelled: () => false })('trained', () => {}),
    );
    release(await rowFeatures(cache, { weights: w, data, config: { ...c, bnAdaptSteps: 5 }, cancelled: () => false })('trained', () => {}));
    expect(computed()).toBe(5);
    cache.clear();
    w.model.dispose();
    model.dispose();
  });

  it('with BatchNorm adaptation gives other features and leaves the evaluated weights as they were', async () => {
    const data = dataset();
    const model = buildModel(c);
    const w = takeWeights('run1', { model, step: 3, config: c }, false);
    const before = bytes(w.model);
    const cache = new FeatureCache();
    const plain = await rowFeatures(cache, { weights: w, data, config: c, cancelled: () => false })('trained', () => {});
    const progress: [number, number][] = [];
    const adapted = await rowFeatures(cache, { weights: w, data, config: { ...c, bnAdaptSteps: 20 }, cancelled: () => false })(
      'trained',
      (d, t) => progress.push([d, t]),
    );
    expect(bytes(w.model)).toEqual(before);
    expect(bytes(model)).toEqual(before);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(plain.test, adapted.test))).dataSync()[0]);
    expect(diff).toBeGreaterThan(1e-3);
    // Progress counts the adaptation passes, then the images embedded.
    expect(progress[0]).toEqual([10, 20 + 60]);
    expect(progress[progress.length - 1]).toEqual([80, 80]);
    [plain, adapted].forEach(release);
    cache.clear();
    w.model.dispose();
    model.dispose();
  });
});

describe('evaluating while training', () => {
  const long = { ...c, epochs: 4, bnAdaptSteps: 10 };

  it('evaluates a snapshot at the step it was taken while the run goes on, and the run ends exactly as without it', async () => {
    const alone = await train(dataset(), long, new RunControl(), () => {});
    const data = dataset();
    const control = new RunControl();
    const cache = new FeatureCache();
    let report: Promise<EvalReport> | null = null;
    let snapshot: { step: number; values: number[][] } | null = null;
    const run = await train(data, long, control, (e) => {
      if (report || e.type !== 'metrics' || e.records[0].step < 6) return;
      const w = takeWeights('run1', control.live!(), true);
      snapshot = { step: w.step, values: bytes(w.model) };
      // Not awaited: the trainer keeps stepping while the evaluation (with BatchNorm adaptation) runs.
      report = evaluationReport(job(w, data, long), 'knn', rowFeatures(cache, job(w, data, long))).finally(() => w.model.dispose());
    });
    const r = await report!;
    expect(snapshot!.step).toBeGreaterThanOrEqual(6);
    expect(snapshot!.step).toBeLessThan(run.step);
    expect(r).toMatchObject({ step: snapshot!.step, snapshot: true, bnAdaptSteps: 10 });
    expect(run.step).toBe(alone.step);
    expect(bytes(run.model)).toEqual(bytes(alone.model));
    expect(bytes(run.model)).not.toEqual(snapshot!.values);
    cache.clear();
    for (const t of [run, alone]) {
      t.model.dispose();
      t.optimizer.dispose();
    }
  }, 60_000);
});

describe('feature map and neighbour gallery', () => {
  it('maps every test image with its class and thumbnail, and finds the neighbours k-NN uses', async () => {
    const data = dataset();
    const model = buildModel(c);
    const w = takeWeights('run1', { model, step: 3, config: c }, false);
    const cache = new FeatureCache();
    const map = await featureMap(cache, job(w, data));
    expect(map.points.map((p) => p.test)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(map.points.map((p) => p.label)).toEqual(Array.from(data.test, (i) => data.labels[i]));
    for (const p of map.points) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    expect(map.thumbSize).toBe(8);
    expect(map.thumbs.map((t) => t.length)).toEqual(new Array(12).fill(8 * 8 * 4));
    expect(map.explained[0]).toBeGreaterThanOrEqual(map.explained[1]);

    const pair = cache.peek(map.key, data)!;
    const g = await neighbours(pair, data, 4, 5);
    const trainY = Int32Array.from(data.train, (i) => data.labels[i]);
    const testY = Int32Array.from(data.test, (i) => data.labels[i]);
    const knn = await knnClassify(pair.train, trainY, pair.test, testY, { k: 5, temperature: 0.07, numClasses: 3 });
    expect(g.items.map((it) => it.index)).toEqual(Array.from(knn.neighbours.subarray(20, 25), (j) => data.train[j]));
    g.items.forEach((it, r) => {
      expect(it.similarity).toBeCloseTo(knn.similarities[20 + r], 5);
      expect(it.label).toBe(data.labels[it.index]);
      expect(it.thumb.length).toBe(8 * 8 * 4);
    });
    expect(g.label).toBe(data.labels[data.test[4]]);
    await expect(neighbours(pair, data, 12, 5)).rejects.toThrow('test image 12 is outside the test split (0 to 11)');
    release(pair);
    cache.clear();
    w.model.dispose();
    model.dispose();
  });

  it('samples at most MAP_POINTS test images, seeded and in split order', () => {
    const s = mapSample(10_000, 2000, 0);
    expect(s.length).toBe(2000);
    expect(Array.from(s)).toEqual(Array.from(s).sort((a, b) => a - b));
    expect(new Set(s).size).toBe(2000);
    expect(Array.from(mapSample(10_000, 2000, 0))).toEqual(Array.from(s));
    expect(Array.from(mapSample(5, 2000, 0))).toEqual([0, 1, 2, 3, 4]);
  });
});
