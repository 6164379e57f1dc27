import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { linearProbe, probeProbabilities } from './probe';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gaussian blobs around c well separated centres in d dimensions, with an offset and scale. */
function blobs(n: number, c: number, d: number, seed: number, spread: number) {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: c }, (_, k) => Array.from({ length: d }, (_, j) => (j === k % d ? 4 : 0)));
  const y = Int32Array.from({ length: n }, (_, i) => i % c);
  const x = Array.from(y, (k) => centres[k].map((v) => 100 + 10 * (v + spread * (rand() * 2 - 1))));
  return { x: tf.tensor2d(x), y };
}

describe('linearProbe', () => {
  it('separates separable classes perfectly, whatever the feature offset and scale', async () => {
    const tr = blobs(120, 6, 8, 1, 0.5);
    const te = blobs(60, 6, 8, 2, 0.5);
    const epochs: number[] = [];
    const r = await linearProbe(tr.x, tr.y, te.x, te.y, { numClasses: 6, epochs: 30, lr: 0.5, weightDecay: 0 }, (e) => epochs.push(e));
    expect(r.top1).toBe(1);
    expect(r.top5).toBe(1);
    expect(r.perClass).toEqual(new Array(6).fill(1));
    expect(epochs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    tf.dispose([tr.x, te.x]);
  });

  it('keeps its head: its probabilities on the test features give the reported predictions', async () => {
    const tr = blobs(120, 6, 8, 1, 2);
    const te = blobs(60, 6, 8, 2, 2);
    const r = await linearProbe(tr.x, tr.y, te.x, te.y, { numClasses: 6, epochs: 10, lr: 0.5, weightDecay: 0 });
    const p = probeProbabilities(r.head, te.x);
    const predicted = Array.from(await tf.argMax(p, 1).data());
    const sums = Array.from(await tf.sum(p, 1).data());
    const confusion = Array.from({ length: 6 }, () => new Array(6).fill(0));
    predicted.forEach((k, i) => confusion[te.y[i]][k]++);
    expect(confusion).toEqual(r.confusion);
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
    tf.dispose([tr.x, te.x, p]);
  });

  it('with Adam also separates separable classes (at least 95%), leaking nothing', async () => {
    const tr = blobs(120, 6, 8, 1, 0.5);
    const te = blobs(60, 6, 8, 2, 0.5);
    const before = tf.memory().numTensors;
    const r = await linearProbe(tr.x, tr.y, te.x, te.y, { numClasses: 6, epochs: 30, lr: 0.01, weightDecay: 0, optimizer: 'adam' });
    expect(r.top1).toBeGreaterThanOrEqual(0.95);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tr.x, te.x]);
  });

  it('with Adam stays at chance level on random labels', async () => {
    const rand = mulberry32(11);
    const feats = (n: number) => tf.tensor2d(Array.from({ length: n }, () => Array.from({ length: 16 }, () => rand())));
    const labels = (n: number) => Int32Array.from({ length: n }, () => Math.floor(rand() * 4));
    const [trX, teX] = [feats(400), feats(400)];
    const r = await linearProbe(trX, labels(400), teX, labels(400), {
      numClasses: 4,
      epochs: 20,
      lr: 0.01,
      weightDecay: 0,
      optimizer: 'adam',
    });
    expect(Math.abs(r.top1 - 0.25)).toBeLessThan(0.075); // 3 standard deviations at 400 samples
    tf.dispose([trX, teX]);
  });

  it('keeps a confusion matrix that agrees with top-1 and per-class accuracy', async () => {
    const tr = blobs(100, 4, 4, 3, 3); // overlapping: some errors
    const te = blobs(80, 4, 4, 4, 3);
    const r = await linearProbe(tr.x, tr.y, te.x, te.y, { numClasses: 4, epochs: 10, lr: 0.1, weightDecay: 1e-3 });
    const total = r.confusion.flat().reduce((a, v) => a + v, 0);
    expect(total).toBe(80);
    expect(r.confusion.map((row) => row.reduce((a, v) => a + v, 0))).toEqual([20, 20, 20, 20]);
    expect(r.top1).toBeCloseTo(r.confusion.reduce((a, row, k) => a + row[k], 0) / 80, 10);
    r.perClass.forEach((p, k) => expect(p).toBeCloseTo(r.confusion[k][k] / 20, 10));
    expect(r.top5).toBeNull(); // fewer than 5 classes
    expect(r.top1).toBeGreaterThan(0.4);
    tf.dispose([tr.x, te.x]);
  });

  it('stays at chance level on random labels (nothing to learn that generalizes)', async () => {
    const rand = mulberry32(9);
    const feats = (n: number) => tf.tensor2d(Array.from({ length: n }, () => Array.from({ length: 16 }, () => rand())));
    const labels = (n: number) => Int32Array.from({ length: n }, () => Math.floor(rand() * 4));
    const [trX, teX] = [feats(400), feats(400)];
    const r = await linearProbe(trX, labels(400), teX, labels(400), { numClasses: 4, epochs: 20, lr: 0.1, weightDecay: 0 });
    // Chance is 25%; 400 test samples put 3 standard deviations at about ±6.5 points.
    expect(r.top1).toBeGreaterThan(0.25 - 0.075);
    expect(r.top1).toBeLessThan(0.25 + 0.075);
    tf.dispose([trX, teX]);
  });

  it('leaks no tensors and stops when cancelled', async () => {
    const tr = blobs(20, 2, 3, 5, 1);
    const before = tf.memory().numTensors;
    await linearProbe(tr.x, tr.y, tr.x, tr.y, { numClasses: 2, epochs: 2, lr: 0.1, weightDecay: 0 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(
      linearProbe(tr.x, tr.y, tr.x, tr.y, { numClasses: 2, epochs: 5, lr: 0.1, weightDecay: 0 }, undefined, () => true),
    ).rejects.toThrow('linear probe cancelled');
    expect(tf.memory().numTensors).toBe(before);
    tr.x.dispose();
  });
});
