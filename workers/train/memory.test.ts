// A long run leaks nothing: tf.memory() is identical at step 100 and step 1,000, across every
// path the loop takes (metrics windows, diagnostics, timed steps, epoch boundaries). On WASM in
// Node, with the studio's gradient kernels, where 1,000 steps of a tiny model take seconds.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { registerWasmGradKernels } from '../backend/wasm/register';
import { DEFAULT_CONFIG } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { releaseRun, RunControl } from './run';
import { train } from './trainer';

beforeAll(async () => {
  registerWasmGradKernels();
  await tf.setBackend('wasm');
});

it('keeps tf.memory() identical between step 100 and step 1,000', async () => {
  const rand = mulberry32(7);
  const n = 100;
  const data = fromPixels(
    Uint8Array.from({ length: n * 64 * 3 }, () => Math.floor(rand() * 256)),
    { count: n, height: 8, width: 8, channels: 3 },
    Int32Array.from({ length: n }, (_, i) => i % 2),
    ['a', 'b'],
    { id: 'm', name: 'm', source: 'test', testFraction: 0, seed: 0 },
  );
  // 25 steps an epoch; steps 100 and 1,000 are both timed diagnostics steps at an epoch start,
  // so the loop is in the same phase when their metrics window arrives.
  const c = { ...DEFAULT_CONFIG, batchSize: 4, imageSize: 8, width: 2, projector: '8-8', metricsEvery: 10, diagEvery: 100, epochs: 41 };
  const before = tf.memory().numTensors;
  const at = new Map<number, [number, number]>();
  const run = await train(data, c, new RunControl(), (e) => {
    if (e.type !== 'metrics') return;
    const first = e.records[0].step;
    if (first === 100 || first === 1000) at.set(first, [tf.memory().numTensors, tf.memory().numBytes]);
  });
  expect(run.step).toBe(25 * 41);
  expect(at.get(100)).toBeDefined();
  expect(at.get(1000)).toEqual(at.get(100));
  releaseRun(run);
  expect(tf.memory().numTensors).toBe(before);
}, 120_000);
