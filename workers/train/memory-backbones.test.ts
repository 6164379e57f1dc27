// Every backbone's run leaks nothing either: a short run of each, with checkpoints captured every
// 5 steps, has the same tf.memory() when the metrics windows of steps 11–20 and 31–40 arrive, and
// building and disposing the model leaves no tensor behind (a ResNet's zero-init once leaked one
// per block). On WASM with the studio's kernels: TF.js's CPU backend took minutes per ResNet.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from '../backend/wasm/register';
import { BACKBONES, DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { TINY } from '../model/backbone-test-kit';
import { releaseRun, RunControl } from './run';
import { train } from './trainer';

beforeAll(async () => {
  registerWasmGradKernels();
  await tf.setBackend('wasm');
});

describe('memory stays flat for every backbone', () => {
  for (const backbone of BACKBONES) {
    it(backbone, async () => {
      const rand = mulberry32(3);
      const batchSize = TINY[backbone].batchSize ?? 4;
      const n = 10 * batchSize;
      const data = fromPixels(
        Uint8Array.from({ length: n * 16 * 16 * 3 }, () => Math.floor(rand() * 256)),
        { count: n, height: 16, width: 16, channels: 3 },
        Int32Array.from({ length: n }, (_, i) => i % 2),
        ['a', 'b'],
        { id: 'm', name: 'm', source: 'test', testFraction: 0, seed: 0 },
      );
      // 10 steps an epoch, 4 epochs; windows of 10 steps, diagnostics every 10: steps 20 and 40
      // close windows in the same phase of the loop.
      const c: TrainConfig = {
        ...DEFAULT_CONFIG,
        backbone,
        ...TINY[backbone],
        batchSize,
        imageSize: 16,
        projector: '8-8',
        metricsEvery: 10,
        diagEvery: 10,
        epochs: 4,
        checkpointEvery: 5,
      };
      const before = tf.memory().numTensors;
      const at = new Map<number, [number, number]>();
      let checkpoints = 0;
      const run = await train(
        data,
        c,
        new RunControl(),
        (e) => {
          if (e.type === 'metrics') at.set(e.records[e.records.length - 1].step, [tf.memory().numTensors, tf.memory().numBytes]);
        },
        { runId: 'm', runName: 'm', checkpoint: async () => void checkpoints++ },
      );
      expect(run.step).toBe(40);
      expect(checkpoints).toBe(8);
      expect(at.get(20)).toBeDefined();
      expect(at.get(40)).toEqual(at.get(20));
      releaseRun(run);
      expect(tf.memory().numTensors).toBe(before);
    }, 120_000);
  }
});
