// Recomputation changes memory, not results: for every backbone, the gradients of one VICReg loss
// with recompute on and off agree to 1e-5 relative, and a whole step (trainStep) gives the same
// loss, the same updated weights and the same BatchNorm running statistics (moved once, not twice).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from '../backend/wasm/register';
import { BACKBONES, DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { images, TINY } from '../model/backbone-test-kit';
import { buildModel, type VicregModel } from '../model/model';
import { makeOptimizer } from '../optim/optimizers';
import { vicregLoss } from '../vicreg/loss';
import { recomputedGrads } from './recompute';
import { trainStep } from './step';

beforeAll(async () => {
  registerWasmGradKernels();
  await tf.setBackend('wasm');
});

/** max |a − b| / max |b|: the largest difference against the tensor's scale. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-30));
}

const configOf = (backbone: TrainConfig['backbone']): TrainConfig => ({
  ...DEFAULT_CONFIG,
  backbone,
  ...TINY[backbone],
  imageSize: 16,
  projector: '16-16',
});

/** Every value the model holds, trainable or not, by parameter name. */
const snapshot = (m: VicregModel) => Object.fromEntries(m.store.params.map((p) => [p.name, p.variable.clone()]));

describe('recompute on = recompute off', () => {
  for (const backbone of BACKBONES) {
    it(`${backbone}: gradients, loss, weights and BatchNorm statistics`, () => {
      const c = configOf(backbone);
      const B = c.batchSize === DEFAULT_CONFIG.batchSize ? 6 : c.batchSize;
      const x1 = images(B, 16, 1);
      const x2 = images(B, 16, 2);
      const models = [buildModel(c), buildModel(c)];
      const loss =
        (m: VicregModel) =>
        ([f1, f2]: tf.Tensor[]) =>
          vicregLoss(m.projector.forward(f1 as tf.Tensor2D, true), m.projector.forward(f2 as tf.Tensor2D, true), c, { ema: null }, false)
            .loss;

      // The gradients alone.
      const [plain, replayed] = models;
      const g0 = tf.variableGrads(
        () => loss(plain)([plain.backbone.forward(x1, true), plain.backbone.forward(x2, true)]),
        plain.store.trainable(),
      );
      const g1 = recomputedGrads(replayed.backbone.segments, [x1, x2], replayed.store.trainable(), loss(replayed));
      const names = plain.store.trainable().map((v) => v.name);
      expect(Object.keys(g1).length).toBe(names.length);
      replayed.store.trainable().forEach((v, j) => {
        const want = g0.grads[names[j]];
        expect(want, v.name).toBeDefined();
        expect(g1[v.name].shape).toEqual(want.shape);
        expect(relDiff(g1[v.name], want), `${backbone} ${v.name}`).toBeLessThan(1e-5);
      });
      tf.dispose([g0.value, ...Object.values(g0.grads), ...Object.values(g1)]);

      // A whole step from the same state (the running statistics moved once above in each).
      const outs = models.map((m, i) => {
        const ctx = { model: m, optimizer: makeOptimizer(c), config: c, avt: { ema: null }, recompute: i === 1 };
        const row = tf.tidy(() => trainStep(ctx, x1, x2, 3, 0.05).row);
        ctx.optimizer.dispose();
        return { row: row.arraySync(), after: snapshot(m) };
      });
      expect(outs[1].row[0]).toBeCloseTo(outs[0].row[0], 5);
      for (const p of plain.store.params) {
        expect(relDiff(outs[1].after[p.name], outs[0].after[p.name]), `${backbone} ${p.name} after a step`).toBeLessThan(1e-5);
      }
      tf.dispose([x1, x2, ...outs.flatMap((o) => Object.values(o.after))]);
      models.forEach((m) => m.dispose());
    }, 60_000);
  }

  it('keeps no tensor and holds less at its peak', async () => {
    const c: TrainConfig = { ...configOf('resnet18'), widthMult: 0.25 };
    const x1 = images(16, 16, 1);
    const x2 = images(16, 16, 2);
    const peaks = [];
    for (const recompute of [false, true]) {
      const m = buildModel(c);
      const ctx = { model: m, optimizer: makeOptimizer(c), config: c, avt: { ema: null }, recompute };
      tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 0, 0.05).row)); // the optimizer's slots
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 1, 0.05).row)));
      expect(tf.memory().numTensors).toBe(before);
      peaks.push(info.peakBytes);
      ctx.optimizer.dispose();
      m.dispose();
    }
    // Eight basic blocks of similar size: one block's activations instead of all of them.
    expect(peaks[1]).toBeLessThan(0.6 * peaks[0]);
    tf.dispose([x1, x2]);
  });
});
