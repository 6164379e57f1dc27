// Benchmark worker for the studio's own training step (workers/train/step.ts with the studio's
// WASM kernels and model code), the way the trainer runs it, on a forced backend.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../workers/backend/select';
import type { BackendName, TrainConfig } from '../../workers/contract/config';
import { trainStep } from '../../workers/train/step';
import { releaseRun } from '../../workers/train/run';
import { stepContext } from '../../workers/train/trainer';
import { countDispatches, type DispatchCount } from './dispatches';
import { matMulCeiling, randomViews, timeSteps } from './timing';

const api = {
  /** Forces `name`; false when the studio would fall back to another backend. */
  async use(name: BackendName): Promise<{ ok: boolean; reason?: string; threads?: number }> {
    const report = await selectBackend(name, { width: 2, projector: '8-8', imageSize: 8 });
    const mine = report.attempts.find((a) => a.name === name);
    return report.active === name ? { ok: true, threads: report.threads } : { ok: false, reason: mine?.reason ?? 'not available' };
  },
  ceiling: (n: number) => matMulCeiling(n),
  /** Sets a TF.js flag (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE) for the steps that follow. */
  setFlag: (name: string, value: number | boolean) => tf.env().set(name, value),
  /** tf.profile of one step after a warm-up: kernel time summed by kernel name, largest first. */
  async profile(config: TrainConfig): Promise<{ name: string; ms: number; calls: number }[]> {
    const ctx = stepContext(config); // as the trainer makes it: recomputation where it would
    const model = ctx.model;
    const [x1, x2] = randomViews(config.batchSize, config.imageSize);
    try {
      const step = (i: number) => tf.tidy(() => trainStep(ctx, x1, x2, i, 0.01).row);
      await step(0).data();
      const info = await tf.profile(async () => {
        const row = step(1);
        await row.data();
        return row;
      });
      const byName = new Map<string, { name: string; ms: number; calls: number }>();
      for (const k of info.kernels) {
        const e = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
        e.ms += Number(k.kernelTimeMs) || 0;
        e.calls++;
        byName.set(k.name, e);
      }
      tf.dispose(info.result as tf.Tensor);
      return [...byName.values()].sort((a, b) => b.ms - a.ms);
    } finally {
      tf.dispose([x1, x2]);
      ctx.avt.ema?.dispose();
      ctx.optimizer.dispose();
      model.dispose();
    }
  },
  /** One training step's GPU dispatches and readbacks (./dispatches.ts), after a warm-up step. */
  async dispatches(config: TrainConfig): Promise<DispatchCount> {
    const ctx = stepContext(config);
    const [x1, x2] = randomViews(config.batchSize, config.imageSize);
    try {
      // The first step makes the optimizer's slots; its work need not finish for the second to be
      // recorded, and nothing is read back (on a software GPU a step at the recipe's batch takes minutes).
      tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 0, 0.01).row));
      return countDispatches(() => tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 1, 0.01).row)));
    } finally {
      tf.dispose([x1, x2]);
      releaseRun(ctx);
    }
  },
  async step(config: TrainConfig) {
    const ctx = stepContext(config); // as the trainer makes it: recomputation where it would
    const model = ctx.model;
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
