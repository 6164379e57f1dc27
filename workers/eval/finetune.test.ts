import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { type Dataset, fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { buildModel } from '../model/model';
import { embed } from './features';
import { linearProbe } from './probe';
import {
  foldStandardization,
  BASELINE_WARMUP_STEPS,
  baselineLength,
  baselineLearningRates,
  baselineRate,
  baselineView,
  epochsForTime,
  MAX_BASELINE_EPOCHS,
  trainBaseline,
} from './finetune';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 160 gray 8×8 images in two classes a CNN separates at a glance: the bright half is the class. */
function halves() {
  const rand = mulberry32(4);
  const n = 160;
  const S = 8;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const pixels = new Uint8Array(n * S * S);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const bright = labels[i] === 0 ? x < S / 2 : x >= S / 2;
        pixels[(i * S + y) * S + x] = Math.round((bright ? 200 : 40) + 30 * (rand() - 0.5));
      }
  }
  return fromPixels(pixels, { count: n, height: S, width: S, channels: 1 }, labels, ['left', 'right'], {
    id: 'halves',
    name: 'halves',
    source: 'test',
    testFraction: 0.25,
    seed: 0,
  });
}

// No crops, flips or colour changes: the class is in the layout, which a flip would swap.
const config: TrainConfig = {
  ...DEFAULT_CONFIG,
  imageSize: 8,
  batchSize: 16,
  width: 4,
  projector: '8-8',
  cropScaleMin: 1,
  cropScaleMax: 1,
  ratioMin: 1,
  ratioMax: 1,
  flipProb: 0,
  jitterProb: 0,
  grayscaleProb: 0,
  solarizeProb2: 0,
};

/** The weights' config and the page's are the same here: the baseline reads each of them (EvalJob). */
const job = (data: Dataset, cancelled = () => false) => ({ weights: { config }, data, config, cancelled });

describe('the fine-tune and supervised baselines', () => {
  it("fine-tune trains the backbone at a tenth of the head's learning rate; supervised at the same", () => {
    expect(baselineLearningRates('finetune', 256)).toEqual({ head: 0.1, backbone: 0.01 });
    expect(baselineLearningRates('supervised', 128)).toEqual({ head: 0.2, backbone: 0.2 });
  });

  it('supervised from scratch: the loss goes down on a separable set and the test split is classified', async () => {
    const data = halves();
    const model = buildModel(config);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const r = await trainBaseline(job(data), { kind: 'supervised', model, length: { epochs: 8 }, onEpoch: (_, loss) => losses.push(loss) });
    expect(tf.memory().numTensors).toBe(before); // nothing left behind but the model it trained
    expect(losses).toHaveLength(8);
    expect(losses[7]).toBeLessThan(0.5 * losses[0]);
    expect(r.top1).toBeGreaterThanOrEqual(0.95);
    expect(r.perClass).toHaveLength(2);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(data.test.length);
    model.dispose();
  });

  it("yields to the worker's message loop as it trains: a task queued at the start runs before it ends", async () => {
    // A worker answers the page (Cancel, the liveness ping) only between macrotasks, and awaiting a
    // tensor's data() does not end one (a microtask): a browser fine-tune of minutes once went
    // unanswered for 30 s and was taken for a crashed worker.
    const data = halves();
    const model = buildModel(config);
    let ran = false;
    let stepsBefore = -1;
    let epochsDone = 0;
    setImmediate(() => {
      ran = true;
      stepsBefore = epochsDone;
    });
    await trainBaseline(job(data), { kind: 'supervised', model, length: { epochs: 2 }, onEpoch: (e) => void (epochsDone = e) });
    expect(ran).toBe(true);
    expect(stepsBefore).toBe(0); // within the first epoch, not after the last
    model.dispose();
  });

  it('fine-tune changes the backbone it is given (a copy), and cancels between epochs', async () => {
    const data = halves();
    const model = buildModel(config);
    const w0 = Array.from(model.store.params[0].variable.dataSync());
    await trainBaseline(job(data), { kind: 'finetune', model, length: { epochs: 1 } });
    expect(Array.from(model.store.params[0].variable.dataSync())).not.toEqual(w0);
    await expect(
      trainBaseline(
        job(data, () => true),
        { kind: 'finetune', model, length: { epochs: 3 } },
      ),
    ).rejects.toThrow('fine-tuning cancelled');
    model.dispose();
  });

  it('with a budget: the first steps are timed, the epochs set from them, and the cost says so', async () => {
    const data = halves();
    const model = buildModel(config);
    const planned: number[] = [];
    const r = await trainBaseline(job(data), {
      kind: 'supervised',
      model,
      length: { budgetMs: 1, basis: "the run's training time" },
      onEpoch: (_, __, epochs) => planned.push(epochs),
    });
    // 1 ms holds less than an epoch: one epoch, at least.
    expect(r.cost.epochs).toBe(1);
    expect(planned).toEqual([1]);
    expect(r.cost.steps).toBe(Math.floor(data.train.length / Math.min(config.batchSize, data.train.length)));
    expect(r.cost.budgetSeconds).toBe(0.001);
    expect(r.cost.msPerStep).toBeGreaterThan(0);
    expect(r.cost.seconds).toBeGreaterThan(0);
    expect(r.cost.basis).toBe("the run's training time");
    model.dispose();
  });
});

describe('LP-FT', () => {
  it('fine-tunes from the probe on its readout and standardization: at lr 0 it predicts as the probe does', async () => {
    const data = halves();
    const model = buildModel(config);
    const trainY = Int32Array.from(data.train, (i) => data.labels[i]);
    const testY = Int32Array.from(data.test, (i) => data.labels[i]);
    const [train, test] = await Promise.all([data.train, data.test].map((idx) => embed(model, data, idx, 8, 'pool', undefined, '2x2')));
    const probe = await linearProbe(train, trainY, test, testY, { numClasses: 2, epochs: 20, lr: 0.1, weightDecay: 0, seed: 1 });
    tf.dispose([train, test]);
    const r = await trainBaseline(job(data), {
      kind: 'finetune',
      model,
      length: { epochs: 1 },
      recipe: { lrHead: 0 },
      probe: { head: probe.head, pool: '2x2' },
    });
    // BatchNorm's running statistics moved in training mode; with the weights unchanged, the probe's
    // head on the features as they are now must give exactly the fine-tuned predictions.
    const after = await embed(model, data, data.test, 8, 'pool', undefined, '2x2');
    const h = probe.head;
    const predicted = tf.tidy(() =>
      tf
        .add(
          tf.matMul(tf.div(tf.sub(after, tf.tensor1d(h.mean)), tf.tensor1d(h.std)), tf.tensor2d(h.w, [h.mean.length, 2])),
          tf.tensor1d(h.b),
        )
        .argMax(1),
    );
    const want = Uint8Array.from(await predicted.data(), (p, i) => (p === testY[i] ? 1 : 0));
    tf.dispose([after, predicted]);
    expect(Array.from(r.correct)).toEqual(Array.from(want));
    expect(r.top1).toBeGreaterThan(0.9);
    model.dispose();
  });
});

describe('the length of a baseline', () => {
  it("folding the probe's standardization into its weights gives the same logits, and a constant feature a zero weight", () => {
    const rand = mulberry32(8);
    const [D, C] = [5, 3];
    const head = {
      mean: Float32Array.from({ length: D }, () => rand() - 0.5),
      std: Float32Array.from({ length: D }, (_, j) => (j === 4 ? 1e-3 : 0.2 + rand())), // feature 4: constant in training
      w: Float32Array.from({ length: D * C }, (_, i) => (Math.floor(i / C) === 4 ? 0 : rand() - 0.5)),
      b: Float32Array.from({ length: C }, () => rand() - 0.5),
    };
    const f = foldStandardization(head);
    for (let n = 0; n < 5; n++) {
      const x = Array.from({ length: D }, () => 2 * rand() - 1);
      for (let k = 0; k < C; k++) {
        let standard = head.b[k];
        let raw = f.b[k];
        for (let j = 0; j < D; j++) {
          standard += ((x[j] - head.mean[j]) / head.std[j]) * head.w[j * C + k];
          raw += x[j] * f.w[j * C + k];
        }
        expect(raw).toBeCloseTo(standard, 5);
      }
    }
    expect(Array.from(f.w.subarray(4 * C, 5 * C))).toEqual([0, 0, 0]);
  });

  it('epochsForTime: whole epochs that fit, at least 1, at most the cap', () => {
    expect(epochsForTime(10_000, 100, 10)).toBe(10);
    expect(epochsForTime(10_999, 100, 10)).toBe(10);
    expect(epochsForTime(50, 100, 10)).toBe(1);
    expect(epochsForTime(1e12, 1, 1)).toBe(MAX_BASELINE_EPOCHS);
  });

  it('baselineRate: linear warmup to 1, then a cosine from 1 to 0 at the last step', () => {
    const W = BASELINE_WARMUP_STEPS;
    expect(baselineRate(0, 100, W)).toBeCloseTo(1 / W, 12);
    expect(baselineRate(W - 1, 100, W)).toBe(1);
    expect(baselineRate(W, 100, W)).toBe(1);
    expect(baselineRate(W + 45, 100, W)).toBeCloseTo(0.5, 12);
    expect(baselineRate(100, 100, W)).toBeCloseTo(0, 12);
    for (let s = W; s < 99; s++) expect(baselineRate(s + 1, 100, W)).toBeLessThan(baselineRate(s, 100, W));
  });

  it("baselineLength: epochs when asked for, else the run's time, else the budget field, else its epochs", () => {
    expect(baselineLength(5000, 30, { baselineEpochs: 7, budgetMinutes: 2 })).toEqual({ epochs: 7, basis: 'baselineEpochs' });
    expect(baselineLength(5000.4, 30, { baselineEpochs: 0, budgetMinutes: 2 })).toEqual({
      budgetMs: 5000,
      basis: "the run's training time",
    });
    expect(baselineLength(undefined, 30, { baselineEpochs: 0, budgetMinutes: 2 })).toEqual({
      budgetMs: 120_000,
      basis: 'the time budget field',
    });
    expect(baselineLength(undefined, 30, { baselineEpochs: 0, budgetMinutes: 0 })).toMatchObject({ epochs: 30 });
  });
});

describe('the augmentation of a baseline', () => {
  it("'view' is VICReg's view 1; 'light' keeps its size and flip, crops mildly, and drops colour, blur and solarization", () => {
    const c = { ...DEFAULT_CONFIG, jitterProb: 0.8, blurProb1: 1, solarizeProb1: 0.2, grayscaleProb: 0.2 };
    const view = baselineView('view', c, { grayscale: false });
    expect(view).toMatchObject({ jitterProb: 0.8, blurProb: 1, solarizeProb: 0.2, cropScaleMin: c.cropScaleMin });
    const light = baselineView('light', c, { grayscale: false });
    expect(light).toMatchObject({
      imageSize: c.imageSize,
      flipProb: c.flipProb,
      cropScaleMin: 0.7,
      cropScaleMax: 1,
      jitterProb: 0,
      grayscaleProb: 0,
      blurProb: 0,
      solarizeProb: 0,
    });
  });
});
