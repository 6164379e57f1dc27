import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { buildModel, type VicregModel } from '../model/model';
import { evalInput } from './features';
import { adaptBatchNorm, cloneModel } from './weights';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const c = { ...DEFAULT_CONFIG, imageSize: 8, width: 2, projector: '8-8', batchSize: 16 };

/** 64 random 8×8 RGB images, brighter than mid-grey on average, so that statistics move. */
function dataset() {
  const rand = mulberry32(5);
  const n = 64;
  return fromPixels(
    Uint8Array.from({ length: n * 64 * 3 }, () => 128 + Math.floor(rand() * 128)),
    { count: n, height: 8, width: 8, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 2),
    ['a', 'b'],
    { id: 'w', name: 'w', source: 'test', testFraction: 0.25, seed: 0 },
  );
}

/** Every variable's bytes, by name. */
const bytes = (m: VicregModel) => new Map(m.store.params.map((p) => [p.name, new Uint8Array(p.variable.dataSync().slice().buffer)]));
const value = (m: VicregModel, name: string) => Array.from(m.store.params.find((p) => p.name === name)!.variable.dataSync());

describe('cloneModel', () => {
  it('copies every variable, and keeps the values of the moment it was taken when the source moves on', () => {
    const model = buildModel({ ...c, seed: 3 });
    const copy = cloneModel(model, { ...c, seed: 9 }); // another seed: the values must come from `model`
    expect(bytes(copy)).toEqual(bytes(model));
    const kernel = model.store.params[0].variable;
    const was = value(copy, model.store.params[0].name);
    tf.tidy(() => kernel.assign(tf.add(kernel, 1))); // what an optimizer step does
    expect(value(copy, model.store.params[0].name)).toEqual(was);
    expect(value(model, model.store.params[0].name)).not.toEqual(was);
    model.dispose();
    copy.dispose();
  });

  it('refuses a config that builds another architecture', () => {
    const model = buildModel(c);
    const before = tf.memory().numTensors;
    expect(() => cloneModel(model, { ...c, width: 3 })).toThrow(/cannot copy the weights/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('adaptBatchNorm', () => {
  it('changes the running statistics and no trainable weight, on the copy only', async () => {
    const data = dataset();
    const model = buildModel(c);
    const original = bytes(model);
    const copy = cloneModel(model, c);
    const progress: number[] = [];
    await adaptBatchNorm(copy, data, { steps: 25, batchSize: c.batchSize, imageSize: c.imageSize, seed: 0 }, (d) => progress.push(d));
    const adapted = bytes(copy);
    for (const p of copy.store.params) {
      if (p.trainable)
        expect(adapted.get(p.name), p.name).toEqual(original.get(p.name)); // bitwise
      else expect(adapted.get(p.name), p.name).not.toEqual(original.get(p.name));
    }
    // The run's own model is untouched, running statistics included.
    expect(bytes(model)).toEqual(original);
    expect(progress).toEqual([10, 20, 25]);
    model.dispose();
    copy.dispose();
  });

  it('moves the first BatchNorm running statistics to the channel statistics of conv1 over the training images', async () => {
    const data = dataset();
    const model = buildModel(c);
    // 60 passes at momentum 0.1 leave 0.9^60 ≈ 0.2% of the initial zeros; the rest averages batch means.
    await adaptBatchNorm(model, data, { steps: 60, batchSize: c.batchSize, imageSize: c.imageSize, seed: 1 });
    const kernel = model.store.params.find((p) => p.name === 'backbone.conv1.weight')!.variable as tf.Tensor4D;
    const [mean, variance] = tf.tidy(() => {
      const h = tf.conv2d(evalInput(data, data.train, c.imageSize), kernel, 1, 'same');
      const m = tf.moments(h, [0, 1, 2]);
      return [m.mean.arraySync() as number[], m.variance.arraySync() as number[]];
    });
    // Before adaptation the variance is the init's 1; the He-init conv doubles it on average.
    expect(variance.some((v) => Math.abs(v - 1) > 0.3)).toBe(true);
    value(model, 'backbone.bn1.running_mean').forEach((v, k) => expect(Math.abs(v - mean[k])).toBeLessThan(0.05 * Math.sqrt(variance[k])));
    value(model, 'backbone.bn1.running_var').forEach((v, k) => expect(v / variance[k]).toBeCloseTo(1, 1));
    model.dispose();
  });

  it('leaks nothing, does nothing at 0 steps, and stops when cancelled', async () => {
    const data = dataset();
    const model = buildModel(c);
    const original = bytes(model);
    const before = tf.memory().numTensors;
    await adaptBatchNorm(model, data, { steps: 0, batchSize: 8, imageSize: 8, seed: 0 });
    expect(bytes(model)).toEqual(original);
    await adaptBatchNorm(model, data, { steps: 3, batchSize: 8, imageSize: 8, seed: 0 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(adaptBatchNorm(model, data, { steps: 5, batchSize: 8, imageSize: 8, seed: 0 }, undefined, () => true)).rejects.toThrow(
      'BatchNorm adaptation cancelled',
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
