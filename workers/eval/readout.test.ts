import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../model/model';
import { DEFAULT_CONFIG } from '../contract/config';
import { gridPool, gridSide, readout } from './readout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch.nn.functional.adaptive_avg_pool2d(x, k).flatten(1) on NCHW, written out (aten's
 *  AdaptiveAveragePooling.cpp: start = floor(i·H/k), end = ceil((i+1)·H/k)). x[b][c][y][x]. */
function torchAdaptive(x: number[][][][], k: number): number[][] {
  return x.map((chans) =>
    chans.flatMap((plane) => {
      const h = plane.length,
        w = plane[0].length;
      const out: number[] = [];
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let sum = 0,
            n = 0;
          for (let y = Math.floor((i * h) / k); y < Math.ceil(((i + 1) * h) / k); y++) {
            for (let xx = Math.floor((j * w) / k); xx < Math.ceil(((j + 1) * w) / k); xx++) (sum += plane[y][xx]), n++;
          }
          out.push(sum / n);
        }
      }
      return out;
    }),
  );
}

describe('gridPool: adaptive average pooling as torch, flattened channel-major', () => {
  for (const [h, w, k] of [
    [4, 4, 2],
    [4, 4, 4],
    [7, 7, 4],
    [5, 3, 2],
    [2, 2, 4],
    [1, 1, 2],
    [6, 6, 1],
  ]) {
    it(`${h}×${w} map to ${k}×${k}`, () => {
      const b = 2,
        c = 3;
      const nchw = Array.from({ length: b }, (_, bi) =>
        Array.from({ length: c }, (_, ci) =>
          Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => Math.sin(1 + bi * 7 + ci * 3 + y * 1.3 + x * 0.7))),
        ),
      );
      const nhwc = tf.transpose(tf.tensor4d(nchw), [0, 2, 3, 1]) as tf.Tensor4D;
      const got = gridPool(nhwc, k);
      expect(got.shape).toEqual([b, c * k * k]);
      const want = torchAdaptive(nchw, k);
      (got.arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 5)));
      tf.dispose([nhwc, got]);
    });
  }

  it('the global readout is the backbone feature; a 1×1 grid of the map equals it', () => {
    const model = buildModel({ ...DEFAULT_CONFIG, width: 4, projector: '8-8' });
    const x = tf.randomNormal([3, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const global = readout(model.backbone, x, 'global');
    const one = gridPool(model.backbone.map(x, false), 1);
    const grid = readout(model.backbone, x, '4x4');
    expect(global.shape).toEqual([3, 32]);
    expect(grid.shape).toEqual([3, 32 * 16]);
    expect(tf.max(tf.abs(tf.sub(global, one))).dataSync()[0]).toBeLessThan(1e-5);
    expect(gridSide('2x2')).toBe(2);
    tf.dispose([x, global, one, grid]);
    model.dispose();
  });

  it('frees every intermediate', () => {
    const x = tf.ones([2, 7, 7, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    gridPool(x, 4).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
