// Benchmark worker for the studio's own training step (workers/train/step.ts with the studio's
// WASM kernels and model code), the way the trainer runs it, on a forced backend.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../workers/backend/select';
import type { BackendName, TrainConfig } from '../../workers/contract/config';
import { type StepContext, trainStep } from '../../workers/train/step';
import { releaseRun } from '../../workers/train/run';
import { stepContext } from '../../workers/train/trainer';
import { countDispatches, type DispatchCount } from './dispatches';
import { matMulCeiling, randomViews, timeLossSteps } from './timing';

/**
 * `body` with a step context made as the trainer makes it (recomputation where it would) and two
 * random views, all released once it has finished.
 */
async function withStep<T>(config: TrainConfig, body: (ctx: StepContext, x1: tf.Tensor4D, x2: tf.Tensor4D) => T | Promise<T>): Promise<T> {
  const ctx = stepContext(config);
  const [x1, x2] = randomViews(config.batchSize, config.imageSize);
  try {
    return await body(ctx, x1, x2);
  } finally {
    tf.dispose([x1, x2]);
    releaseRun(ctx);
  }
}

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
  profile: (config: TrainConfig): Promise<{ name: string; ms: number; calls: number }[]> =>
    withStep(config, async (ctx, x1, x2) => {
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
    }),
  /** One training step's GPU dispatches and readbacks (./dispatches.ts), after a warm-up step. */
  dispatches: (config: TrainConfig): Promise<DispatchCount> =>
    withStep(config, (ctx, x1, x2) => {
      // The first step makes the optimizer's slots; its work need not finish for the second to be
      // recorded, and nothing is read back (on a software GPU a step at the recipe's batch takes minutes).
      tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 0, 0.01).row));
      return countDispatches(() => tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 1, 0.01).row)));
    }),
  step: (config: TrainConfig) =>
    withStep(config, (ctx, x1, x2) => {
      let step = 0;
      return timeLossSteps(() => tf.tidy(() => trainStep(ctx, x1, x2, step++, 0.01).row), config.batchSize);
    }),
};

export type StudioBench = typeof api;
Comlink.expose(api);
