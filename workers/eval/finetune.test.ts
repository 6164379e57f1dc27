import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { buildModel } from '../model/model';
import { baselineLearningRates, trainBaseline } from './finetune';

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

describe('the fine-tune and supervised baselines', () => {
  it("fine-tune trains the backbone at a tenth of the head's learning rate; supervised at the same", () => {
    expect(baselineLearningRates('finetune', 256)).toEqual({ head: 0.1, backbone: 0.01 });
    expect(baselineLearningRates('supervised', 128)).toEqual({ head: 0.05, backbone: 0.05 });
  });

  it('supervised from scratch: the loss goes down on a separable set and the test split is classified', async () => {
    const data = halves();
    const model = buildModel(config);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const r = await trainBaseline(
      'supervised',
      model,
      data,
      config,
      8,
      (_, loss) => losses.push(loss),
      () => false,
    );
    expect(tf.memory().numTensors).toBe(before); // nothing left behind but the model it trained
    expect(losses).toHaveLength(8);
    expect(losses[7]).toBeLessThan(0.5 * losses[0]);
    expect(r.top1).toBeGreaterThanOrEqual(0.95);
    expect(r.perClass).toHaveLength(2);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(data.test.length);
    model.dispose();
  });

  it('fine-tune changes the backbone it is given (a copy), and cancels between epochs', async () => {
    const data = halves();
    const model = buildModel(config);
    const w0 = Array.from(model.store.params[0].variable.dataSync());
    await trainBaseline(
      'finetune',
      model,
      data,
      config,
      1,
      () => {},
      () => false,
    );
    expect(Array.from(model.store.params[0].variable.dataSync())).not.toEqual(w0);
    await expect(
      trainBaseline(
        'finetune',
        model,
        data,
        config,
        3,
        () => {},
        () => true,
      ),
    ).rejects.toThrow('fine-tuning cancelled');
    model.dispose();
  });
});
