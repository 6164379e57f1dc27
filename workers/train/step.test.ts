// A whole training step against PyTorch: the studio's small CNN and projector, given the weights,
// BatchNorm statistics and two views of fixtures/torch-step.json (tools/torch-step-reference.py,
// PyTorch float64), must give PyTorch's loss terms, gradients, running statistics, and weights
// after one AdamW and one LARS update. Each piece has its own tests elsewhere; this pins the way
// they are put together (padding, per-view BatchNorm, the order of the update) to the reference
// implementation a user would compare with.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { buildModel } from '../model/model';
import { adamw, lars, sgd, type Optimizer } from '../optim/optimizers';
import { trainStep, type StepOutput } from './step';

interface T {
  shape: number[];
  data: number[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/torch-step.json', import.meta.url), 'utf8')) as {
  config: Partial<TrainConfig>;
  x1: T;
  x2: T;
  weights: Record<string, T>;
  running: Record<string, T>;
  terms: Record<string, number>;
  grads: Record<string, T>;
  runningAfter: Record<string, T>;
  adamw: { lr: number; weightDecay: number; weights: Record<string, T> };
  lars: { lr: number; weightDecay: number; eta: number; weights: Record<string, T> };
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The fixture's state in a fresh model, one step with `optimizer` at `lr`; every value read back. */
function step(optimizer: Optimizer, lr: number) {
  const c = { ...DEFAULT_CONFIG, ...ref.config, seed: 0 };
  const model = buildModel(c);
  const before: Record<string, Float32Array> = {};
  for (const p of model.store.params) {
    const src = (p.trainable ? ref.weights : ref.running)[p.name];
    expect(src, p.name).toBeDefined();
    expect(p.variable.shape, p.name).toEqual(src.shape);
    p.variable.assign(tf.tensor(src.data, src.shape));
    before[p.name] = p.variable.dataSync() as Float32Array;
  }
  const [x1, x2] = [ref.x1, ref.x2].map((v) => tf.tensor4d(v.data, v.shape as [number, number, number, number]));
  const out = tf.tidy(
    () => trainStep({ model, optimizer, config: c, avt: { ema: null } }, x1, x2, 0, lr) as unknown as tf.TensorContainer,
  ) as unknown as StepOutput;
  const [loss, invariance, variance, covariance] = out.row.dataSync();
  const after = Object.fromEntries(model.store.params.map((p) => [p.name, p.variable.dataSync() as Float32Array]));
  tf.dispose([x1, x2, out.row]);
  optimizer.dispose();
  model.dispose();
  return { terms: { loss, invariance, variance, covariance }, before, after };
}

/** |got − want| ≤ rel · max|want| + abs, element by element. */
function close(name: string, got: ArrayLike<number>, want: number[], rel = 1e-4, abs = 1e-7) {
  const scale = Math.max(...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) - rel * scale);
  expect(worst, `${name}: ${Array.from(got).slice(0, 4)} vs ${want.slice(0, 4)}`).toBeLessThanOrEqual(abs);
}

describe('a training step equals PyTorch (main_vicreg.py) on the same weights and views', () => {
  it('loss terms, gradients and BatchNorm running statistics', () => {
    // SGD without momentum or decay at lr 1: the weights move by exactly minus the gradient.
    const s = step(sgd({ weightDecay: 0, momentum: 0 }), 1);
    for (const [k, v] of Object.entries(ref.terms)) expect(s.terms[k as keyof typeof s.terms], k).toBeCloseTo(v, 4);
    for (const [name, g] of Object.entries(ref.grads)) {
      // A bias followed by BatchNorm has a gradient of exactly 0 (float32 leaves ~1e-6 of noise).
      close(
        `grad ${name}`,
        s.before[name].map((w, i) => w - s.after[name][i]),
        g.data,
        2e-4,
        name === 'projector.0.bias' ? 1e-5 : 1e-6,
      );
    }
    for (const [name, r] of Object.entries(ref.runningAfter)) close(name, s.after[name], r.data);
  });

  it('weights after one AdamW update (no decay on biases and norms)', () => {
    const s = step(adamw({ weightDecay: ref.adamw.weightDecay, beta1: 0.9 }), ref.adamw.lr);
    for (const [name, w] of Object.entries(ref.adamw.weights)) {
      // A bias followed by BatchNorm has a gradient of exactly 0; float32 leaves ~1e-9 of noise,
      // which Adam's first step, g / (|g| + 1e-8), turns into a move of up to 0.1 lr. Skip it.
      if (name === 'projector.0.bias') continue;
      // Likewise a weight whose gradient is within a few float32 roundings of 0 (|g| under 1e-5 of
      // the tensor's largest; float32 gradients are good to about 1e-6 of it): there the same
      // ratio turns that noise into up to a percent of lr. Exact zeros stay (no move either side).
      // Compare the others (over 99%).
      const g = ref.grads[name].data;
      const floor = 1e-5 * Math.max(...g.map(Math.abs));
      const kept = g.flatMap((v, i) => (v === 0 || Math.abs(v) >= floor ? [i] : []));
      expect(kept.length, name).toBeGreaterThan(0.99 * g.length);
      close(
        name,
        kept.map((i) => s.after[name][i]),
        kept.map((i) => w.data[i]),
        1e-5,
        2e-6,
      );
    }
  });

  it('weights after one LARS update (trust ratio and decay on weights only)', () => {
    const s = step(lars({ weightDecay: ref.lars.weightDecay, momentum: 0.9, eta: ref.lars.eta }), ref.lars.lr);
    for (const [name, w] of Object.entries(ref.lars.weights)) close(name, s.after[name], w.data, 1e-5, 1e-6);
  });
});
