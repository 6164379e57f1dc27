// Checkpoints during training. The tensors are captured between steps and copied off the device
// while training goes on; at most one write is in flight. A check that every value is finite
// guards the last good checkpoint: weights that overflowed are never written over it.
import { APP_VERSION } from '../contract/version';
import { captureTensors, FORMAT_VERSION, type Checkpoint, type CheckpointMeta, type CheckpointReason } from '../checkpoint/record';
import type { Draws } from './draws';
import type { MetricsWindow } from './metrics';
import type { Pacer } from './pacing';
import { fail, type Run, trainedMs } from './run';

/** Receives each complete checkpoint (and how long copying it off the device took) and stores it;
 *  resolves when stored, never throws. */
export type CheckpointSink = (c: Checkpoint, readMs: number) => Promise<void>;

/** The parts whose state a checkpoint records beside the tensors: the draws' position, the
 *  metrics and the k-NN curve with the budget. */
export interface CheckpointedParts {
  draws: Draws;
  metrics: MetricsWindow;
  pacer: Pacer;
}

export class Checkpointer {
  /** The write in flight (resolved when none is). */
  saving: Promise<void> = Promise.resolve();
  private savedStep: number;

  /** Without a sink nothing is saved. */
  constructor(
    private readonly run: Run,
    private readonly parts: CheckpointedParts,
    private readonly sink?: CheckpointSink,
  ) {
    this.savedStep = run.resume ? run.loop.step : -1;
  }

  /** Checkpoints the run after its current step; `next` is the index of the next step within `epoch`. */
  async save(reason: CheckpointReason, epoch: number, next: number): Promise<void> {
    const { sink, run } = this;
    const { loop, ctx, data } = run;
    const { draws, metrics, pacer } = this.parts;
    if (!sink || loop.failure || loop.step === this.savedStep) return;
    const clock = loop.phases;
    await clock.wait('checkpoint: readback', metrics.drain());
    await clock.wait('checkpoint: online k-NN', Promise.resolve(pacer.knnDone));
    if (loop.failure) return;
    await clock.wait('checkpoint: the previous write', this.saving);
    const step = loop.step;
    this.savedStep = step;
    const rollover = next >= loop.stepsPerEpoch; // the next step opens a new epoch
    const { layout, read } = clock.time('checkpoint', () => captureTensors(ctx.model, ctx.optimizer, ctx.avt));
    const meta: CheckpointMeta = {
      format: FORMAT_VERSION,
      appVersion: APP_VERSION,
      runId: loop.runId,
      runName: loop.runName,
      createdAt: Date.now(),
      reason,
      step,
      epoch: rollover ? epoch + 1 : epoch,
      stepInEpoch: rollover ? 0 : next,
      totalSteps: loop.schedule.totalSteps,
      finished: step >= loop.schedule.totalSteps,
      rng: draws.rngAt(epoch, next),
      config: loop.config,
      dataset: { id: data.summary.id, name: data.summary.name },
      normalization: { mean: data.mean, std: data.std },
      ...layout,
      metrics: metrics.history,
      diagnostics: metrics.diagnostics,
      knn: pacer.knnHistory,
      knnBaselines: pacer.knnBaselines,
      budget: pacer.budget,
      trainedMs: trainedMs(loop),
    };
    const t0 = performance.now();
    this.saving = clock.time('checkpoint', read).then((values) => {
      const readMs = performance.now() - t0;
      if (values.some((v) => !Number.isFinite(v))) {
        // The loss can stay finite while weights are not (ReLU6 clamps NaN activations): stop here,
        // since every later step would train on garbage.
        run.emit({
          type: 'checkpoint-error',
          message: `the weights at step ${step} are not finite; the checkpoint was not written and the last good one is kept`,
        });
        fail(
          run,
          `the weights became non-finite by step ${step} (a gradient overflowed) while the loss stayed finite; training stopped and the last good checkpoint is kept. Lower baseLr, raise the batch size, or resume from that checkpoint.`,
        );
        return;
      }
      return clock.time('checkpoint', () => sink({ meta, data: values }, readMs));
    });
  }
}
