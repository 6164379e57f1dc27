// Every preset parses, merges with the defaults, and trains: two steps in Node on the cpu backend
// at a reduced size (batch 4, 16 px, widthMult 1/16 or width 4, projector 64-64; the ViT keeps its
// 16 px patches, so one patch and the class token).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPixels } from '../dataset/dataset';
import { RunControl } from '../train/run';
import { train } from '../train/trainer';
import type { MetricRecord } from './api';
import { BACKBONES, checkConfig, DEFAULT_CONFIG, type TrainConfig } from './config';
import { ANY_PRESET_IDS, applyPreset, matchingPreset, matchingRecipe, PRESETS, RECIPE_IDS, RECIPES } from './presets';
import { configFromHash, configToHash } from './url';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const REDUCED: Partial<TrainConfig> = {
  batchSize: 4,
  imageSize: 16,
  widthMult: 1 / 16,
  width: 4,
  projector: '64-64',
  epochs: 1,
  metricsEvery: 1,
  diagEvery: 100,
};

/** 8 random 16×16 RGB images of 2 classes: 2 steps of 4 once 0% is held out. */
function tinyData() {
  let s = 7;
  const pixels = Uint8Array.from({ length: 8 * 16 * 16 * 3 }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  return fromPixels(pixels, { count: 8, height: 16, width: 16, channels: 3 }, Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), ['a', 'b'], {
    id: 'tiny',
    name: 'tiny',
    source: 'test',
    testFraction: 0,
    seed: 0,
  });
}

describe('presets', () => {
  it('recipes cover every backbone family: small CNN, ResNet, ResNet50V2, MobileNetV2, ViT', () => {
    const backbones = new Set(RECIPE_IDS.map((id) => RECIPES[id].config.backbone));
    expect([...backbones].sort()).toEqual(['mobilenetv2', 'resnet18', 'resnet50v2', 'small-cnn', 'vit-small']);
    expect(BACKBONES).toEqual(expect.arrayContaining([...backbones]));
  });

  it("the Adaptive VICReg seed's recipe (configs/default.yaml) brings its own loss: AVT in [0.5, 2] and SICov", () => {
    const c = applyPreset(DEFAULT_CONFIG, 'seed-resnet50v2');
    expect(c).toMatchObject({
      backbone: 'resnet50v2',
      stem: 'imagenet',
      imageSize: 32,
      batchSize: 512,
      projector: '1024-1024-256',
      optimizer: 'adamw',
      weightDecay: 1e-4,
      warmupEpochs: 0,
      varianceMode: 'adaptive',
      covarianceMode: 'sicov',
      emaMomentum: 0.99,
      gammaMin: 0.5,
      gammaMax: 2,
    });
    expect((c.baseLr * c.batchSize) / 256).toBeCloseTo(3e-4, 12); // the seed's lr at its batch
    expect(matchingRecipe(c)).toBe('seed-resnet50v2');
    expect(matchingPreset(c)).toBe('adaptive-seed');
    // Another recipe after it keeps the loss the user has (recipes name no loss field).
    expect(matchingPreset(applyPreset(c, 'small-32'))).toBe('adaptive-seed');
  });

  it('the published numbers: solo-learn CIFAR (32 px) and ViT-S/16 recipes', () => {
    expect(RECIPES['small-32'].config).toMatchObject({
      backbone: 'resnet18',
      stem: 'cifar',
      projector: '2048-2048-2048',
      batchSize: 256,
      optimizer: 'lars',
      baseLr: 0.3,
      weightDecay: 1e-4,
      warmupEpochs: 10,
      cropScaleMin: 0.2,
      cropScaleMax: 1,
      blurProb1: 0,
      blurProb2: 0,
      solarizeProb1: 0.1,
      solarizeProb2: 0.1,
    });
    expect(RECIPES['vit-s16-96'].config).toMatchObject({
      backbone: 'vit-small',
      patchSize: 16,
      imageSize: 96,
      optimizer: 'adamw',
      baseLr: 1e-3,
      weightDecay: 1e-4,
      batchSize: 128,
      warmupEpochs: 10,
      gradClip: 1,
      projector: '2048-2048-2048',
    });
    expect(RECIPES['medium-96'].config).toMatchObject({
      backbone: 'resnet18',
      stem: 'imagenet',
      imageSize: 96,
      batchSize: 256,
      cropScaleMin: 0.08,
      blurProb1: 1,
      blurProb2: 0.1,
      solarizeProb2: 0.2,
    });
    expect(RECIPES['large-224-cpu'].config).toMatchObject({ backbone: 'mobilenetv2', imageSize: 224, batchSize: 32 });
  });

  it('the defaults are the "defaults" recipe with the official loss', () => {
    expect(matchingRecipe(DEFAULT_CONFIG)).toBe('defaults');
    expect(matchingPreset(DEFAULT_CONFIG)).toBe('official');
  });

  for (const id of ANY_PRESET_IDS) {
    it(`${id}: parses from the URL, merges with the defaults, passes the cross-field rules and trains two steps`, async () => {
      const { config, warnings } = configFromHash(`#preset=${id}`);
      expect(warnings).toEqual([]);
      expect(config).toEqual(applyPreset(DEFAULT_CONFIG, id));
      expect(checkConfig(config)).toEqual([]);
      if (id in RECIPES) expect(matchingRecipe(config)).toBe(id);
      else expect(matchingPreset(config)).toBe(id);
      expect(configFromHash(configToHash(config)).config).toEqual(config);
      // Trained with the adaptive loss on top of every recipe, and each loss on the defaults.
      const base = id in PRESETS ? config : applyPreset(config, 'adaptive');
      const c = { ...base, ...REDUCED, imageSize: config.backbone.startsWith('vit') ? config.patchSize : 16 };
      const records: MetricRecord[] = [];
      const run = await train(tinyData(), c, new RunControl(), (e) => e.type === 'metrics' && records.push(...e.records));
      expect(run.state).toBe('done');
      expect(records.map((r) => r.step)).toEqual([1, 2]);
      for (const r of records) expect(Number.isFinite(r.loss)).toBe(true);
    });
  }
});
