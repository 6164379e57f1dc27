// Benchmark worker for the studio's own training step (workers/train/step.ts with the studio's
// WASM kernels and model code), the way the trainer runs it, on a forced backend.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select';
import type { BackendName, TrainConfig } from '../contract/config';
import { buildModel } from '../model/model';
import { makeOptimizer } from '../train/trainer';
import { trainStep, type StepContext } from '../train/step';
import { matMulCeiling, randomViews, timeSteps } from './timing';

const api = {
  /** Forces `name`; false when the studio would fall back to another backend. */
  async use(name: BackendName): Promise<{ ok: boolean; reason?: string; threads?: number }> {
    const report = await selectBackend(name, { width: 2, projector: '8-8', imageSize: 8 });
    const mine = report.attempts.find((a) => a.name === name);
    return report.active === name ? { ok: true } : { ok: false, reason: mine?.reason ?? 'not available' };
  },
  ceiling: (n: number) => matMulCeiling(n),
  async step(config: TrainConfig) {
    const model = buildModel(config);
    const ctx: StepContext = { model, optimizer: makeOptimizer(config), config, avt: { ema: null } };
    const [x1, x2] = randomViews(config.batchSize, config.imageSize);
    let step = 0;
    try {
      return await timeSteps(async () => {
        const row = tf.tidy(() => trainStep(ctx, x1, x2, step++, 0.01).row);
        const [loss] = await row.data();
        row.dispose();
        return loss;
      }, config.batchSize);
    } finally {
      tf.dispose([x1, x2]);
      ctx.avt.ema?.dispose();
      ctx.optimizer.dispose();
      model.dispose();
    }
  },
};

export type StudioBench = typeof api;
Comlink.expose(api);
