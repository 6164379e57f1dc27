import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { buildModel } from '../model/model';
import { FeatureCache } from './cache';
import { baselineReport, checkEvaluable, evaluationReport, missingClasses, splitKey } from './report';
import type { EvalJob } from './job';
import { rowFeatures, takeWeights } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const c = { ...DEFAULT_CONFIG, imageSize: 8, width: 2, projector: '8-8', batchSize: 8, knnK: 5, probeEpochs: 3 };

/** Random 8×8 images; `counts` images per class (a class may have none). */
function dataset(counts: number[], testFraction: number) {
  const rand = mulberry32(1);
  const labels = Int32Array.from(counts.flatMap((n, k) => new Array(n).fill(k)));
  const n = labels.length;
  return fromPixels(
    Uint8Array.from({ length: n * 64 * 3 }, () => Math.floor(rand() * 256)),
    { count: n, height: 8, width: 8, channels: 3 },
    labels,
    counts.map((_, k) => 'abcd'[k]),
    { id: 'r', name: 'r', source: 'test', testFraction, seed: 0 },
  );
}

describe('splitKey', () => {
  const of = (id: string, test: number[]) => splitKey({ summary: { id }, test: Int32Array.from(test) });
  it('is the same for the same test images of the same dataset, and differs otherwise', () => {
    expect(of('a', [1, 5, 9])).toBe(of('a', [1, 5, 9]));
    expect(of('a', [1, 5, 9])).not.toBe(of('a', [1, 5, 8]));
    expect(of('a', [1, 5, 9])).not.toBe(of('a', [5, 1, 9])); // another order pairs other images
    expect(of('a', [1, 5, 9])).not.toBe(of('b', [1, 5, 9]));
    expect(of('a', [1, 5, 9])).toMatch(/^3:[0-9a-f]+$/);
  });
});

describe('missingClasses', () => {
  it('lists classes without training images and classes without any image', () => {
    // testFraction 0.5: round(0.5 · 1) = 1 sends c's one image to the test split.
    expect(missingClasses(dataset([20, 20, 1, 0], 0.5))).toEqual([
      { name: 'c', train: 0, test: 1 },
      { name: 'd', train: 0, test: 0 },
    ]);
  });
  it('lists classes without test images', () => {
    // testFraction 0.2: round(0.2 · 2) = 0 test images for c.
    expect(missingClasses(dataset([20, 20, 2], 0.2))).toEqual([{ name: 'c', train: 2, test: 0 }]);
    expect(missingClasses(dataset([20, 20], 0.2))).toEqual([]);
  });
});

describe('evaluationReport with missing classes', () => {
  for (const [counts, f] of [
    [[20, 20, 1, 0], 0.5],
    [[20, 20, 2], 0.2],
  ] as const) {
    for (const kind of ['knn', 'probe'] as const) {
      it(`${kind}: reports ${JSON.stringify(counts)} at testFraction ${f} instead of failing`, async () => {
        const data = dataset([...counts], f);
        const model = buildModel(c);
        const w = takeWeights('run1', { model, step: 7, config: c }, false);
        const cache = new FeatureCache();
        const before = tf.memory().numTensors;
        const job: EvalJob = { weights: w, data, config: c, onProgress: () => {}, cancelled: () => false };
        const r = await evaluationReport(job, kind, rowFeatures(cache, job));
        cache.clear();
        expect(tf.memory().numTensors).toBe(before);
        expect(r.missingClasses).toEqual(missingClasses(data));
        expect(r.missingClasses.length).toBeGreaterThan(0);
        expect(r.rows.map((row) => row.name)).toEqual(['trained', 'random init', 'raw pixels']);
        for (const row of r.rows) {
          expect(row.top1).toBeGreaterThanOrEqual(0);
          expect(row.top1).toBeLessThanOrEqual(1);
          if (kind === 'probe') {
            // A class with no test images has no accuracy; every other class has one.
            const tested = r.classes.map((name) => !r.missingClasses.some((m) => m.name === name && m.test === 0));
            row.perClass!.forEach((p, k) => expect(Number.isNaN(p)).toBe(!tested[k]));
            expect(row.confusion!.flat().reduce((a, v) => a + v, 0)).toBe(data.test.length);
          }
        }
        expect(r).toMatchObject({ step: 7, snapshot: false, bnAdaptSteps: 0, testCount: data.test.length });
        w.model.dispose();
        model.dispose();
      });
    }
  }

  it('refuses what cannot be evaluated, saying why', () => {
    expect(() => checkEvaluable(dataset([20, 20], 0), 'k-NN')).toThrow('the test split is empty: raise testFraction above 0');
    expect(() => checkEvaluable(dataset([20], 0.2), 'k-NN')).toThrow('k-NN needs at least two classes');
    const unlabeled = fromPixels(new Uint8Array(4 * 3), { count: 4, height: 1, width: 1, channels: 3 }, new Int32Array(4), [], {
      id: 'u',
      name: 'u',
      source: 't',
      testFraction: 0.2,
      seed: 0,
    });
    expect(() => checkEvaluable(unlabeled, 'the linear probe')).toThrow(
      'the linear probe needs labels: this dataset has no class subfolders',
    );
  });
});

describe('baselineReport', () => {
  it("reads the weights' config for what must match them and the page's for its own settings (EvalJob)", async () => {
    const data = dataset([20, 20], 0.2);
    const model = buildModel(c);
    const weights = takeWeights('run1', { model, step: 7, config: c }, false);
    // The page asks for another batch (the weights' wins) and a light augmentation (the page's wins).
    const page = { ...c, batchSize: 4, baselineAugment: 'light' as const, seed: 3 };
    const progress: [number, number][] = [];
    const job: EvalJob = { weights, data, config: page, onProgress: (d, t) => progress.push([d, t]), cancelled: () => false };
    const before = tf.memory().numTensors;
    const r = await baselineReport(job, 'finetune', { epochs: 1 });
    expect(tf.memory().numTensors).toBe(before); // the copy it trained is freed
    expect(r.settings).toContain('1 epochs, batch 8, a light crop and flip');
    expect(r).toMatchObject({ kind: 'finetune', step: 7, snapshot: false, featPool: 'global', trainCount: data.train.length });
    expect(r.rows.map((row) => row.name)).toEqual(['fine-tune']);
    expect(progress).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
    const supervised = await baselineReport(job, 'supervised', { epochs: 1 });
    expect(supervised).toMatchObject({ kind: 'supervised', step: 0, snapshot: false });
    weights.model.dispose();
    model.dispose();
  });
});
