// The fused ColorJitter + RandomGrayscale kernel (jitter.ts) against the batched tensor ops it
// replaces on WASM and CPU (augment.ts applyParams with fused = false), on the same drawn params.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from '../backend/wasm/register';
import { applyParams, drawParams } from './augment';
import { COLOR_JITTER, fusedJitter, jitterPixels } from './jitter';
import { mulberry32 } from './random';

beforeAll(() => registerWasmGradKernels());

const N = 24;
const SIDE = 12;

/** Random images with some gray pixels (r = g = b) and saturated ones, which take the hue's edge cases. */
function images(seed: number): tf.Tensor4D {
  const rand = mulberry32(seed);
  const v = new Float32Array(N * SIDE * SIDE * 3);
  for (let i = 0; i < v.length; i += 3) {
    const kind = rand();
    if (kind < 0.1) v[i] = v[i + 1] = v[i + 2] = rand();
    else if (kind < 0.2) [v[i], v[i + 1], v[i + 2]] = [1, rand(), 0];
    else [v[i], v[i + 1], v[i + 2]] = [rand(), rand(), rand()];
  }
  return tf.tensor4d(v, [N, SIDE, SIDE, 3]);
}

describe('fused ColorJitter + RandomGrayscale', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`equals the tensor ops on ${backend} to 1e-5, jitter and grayscale on and off per sample`, async () => {
      await tf.setBackend(backend);
      expect(fusedJitter()).toBe(true);
      const x = images(5);
      const batch = Int32Array.from({ length: N }, (_, i) => i);
      // Strong jitter so every part moves pixels; no blur or solarization (they are shared code).
      const p = drawParams(
        N,
        SIDE,
        SIDE,
        {
          imageSize: SIDE,
          cropScaleMin: 0.3,
          jitterProb: 0.8,
          brightness: 0.8,
          contrast: 0.8,
          saturation: 0.8,
          hue: 0.5,
          grayscaleProb: 0.3,
        },
        mulberry32(9),
      );
      expect([...p.order].some((o) => o < 0) && [...p.order].some((o) => o >= 0)).toBe(true);
      expect([...p.gray].some((g) => g > 0)).toBe(true);
      const fused = await applyParams(x, batch, p, SIDE, true).data();
      const ops = await applyParams(x, batch, p, SIDE, false).data();
      let worst = 0;
      for (let i = 0; i < ops.length; i++) worst = Math.max(worst, Math.abs(fused[i] - ops[i]));
      expect(worst).toBeLessThanOrEqual(1e-5);
      // and the jitter did something: far from the cropped input
      const plain = await applyParams(
        x,
        batch,
        { ...p, order: new Int8Array(4 * N).fill(-1), gray: new Float32Array(N) },
        SIDE,
        true,
      ).data();
      expect(Math.max(...Array.from(plain, (v, i) => Math.abs(v - fused[i])))).toBeGreaterThan(0.2);
      x.dispose();
    });
  }

  it('runs only where the pixels are in CPU memory (WASM, CPU)', () => {
    expect(tf.getKernel(COLOR_JITTER, 'wasm')).toBeDefined();
    expect(tf.getKernel(COLOR_JITTER, 'cpu')).toBeDefined();
    expect(tf.getKernel(COLOR_JITTER, 'webgl')).toBeUndefined();
  });

  it('applies a hue shift of a whole turn as the identity, and leaves unjittered samples as they were', () => {
    const px = Float32Array.from([0.9, 0.2, 0.4, 0.1, 0.1, 0.1, 0.3, 0.6, 0.6]);
    const out = px.slice();
    jitterPixels(out, 1, 3, { order: [3, -1, -1, -1], factors: [1, 1, 1, 1], gray: [0] });
    out.forEach((v, i) => expect(v).toBeCloseTo(px[i], 6));
    const none = px.slice();
    jitterPixels(none, 1, 3, { order: [-1, -1, -1, -1], factors: [2, 2, 2, 0.3], gray: [0] });
    expect(Array.from(none)).toEqual(Array.from(px));
  });
});
