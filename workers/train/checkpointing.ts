// Checkpoints during training. The tensors are captured between steps and copied off the device
// while training goes on; at most one write is in flight. A check that every value is finite
// guards the last good checkpoint: weights that overflowed are never written over it.
import type { TrainEvent } from '../contract/api';
import { APP_VERSION } from '../contract/version';
import { captureTensors, FORMAT_VERSION, type Checkpoint, type CheckpointMeta, type CheckpointReason } from '../checkpoint/record';
import type { Dataset } from '../dataset/dataset';
import type { Draws } from './draws';
import type { MetricsWindow } from './metrics';
import type { Pacer } from './pacing';
import { fail, type RunControl, type RunLoop, trainedMs } from './run';
import type { StepContext } from './step';

/** Receives each complete checkpoint (and how long copying it off the device took) and stores it;
 *  resolves when stored, never throws. */
export type CheckpointSink = (c: Checkpoint, readMs: number) => Promise<void>;

export class Checkpointer {
  /** The write in flight (resolved when none is). */
  saving: Promise<void> = Promise.resolve();
  private savedStep: number;

  constructor(
    private readonly loop: RunLoop,
    private readonly control: RunControl,
    private readonly ctx: StepContext,
    private readonly draws: Draws,
    private readonly data: Dataset,
    private readonly metrics: MetricsWindow,
    private readonly pacer: Pacer,
    private readonly emit: (e: TrainEvent) => void,
    private readonly run: { runId: string; runName: string; sink?: CheckpointSink },
    resumed: boolean,
  ) {
    this.savedStep = resumed ? loop.step : -1;
  }

  /** Checkpoints the run after its current step; `next` is the index of the next step within `epoch`. */
  async save(reason: CheckpointReason, epoch: number, next: number): Promise<void> {
    const { loop, run } = this;
    const sink = run.sink;
    if (!sink || loop.failure || loop.step === this.savedStep) return;
    const clock = loop.phases;
    await clock.wait('checkpoint: readback', this.metrics.drain());
    await clock.wait('checkpoint: online k-NN', Promise.resolve(this.pacer.knnDone));
    if (loop.failure) return;
    await clock.wait('checkpoint: the previous write', this.saving);
    const step = loop.step;
    this.savedStep = step;
    const rollover = next >= loop.stepsPerEpoch; // the next step opens a new epoch
    const { layout, read } = clock.time('checkpoint', () => captureTensors(this.ctx.model, this.ctx.optimizer, this.ctx.avt));
    const meta: CheckpointMeta = {
      format: FORMAT_VERSION,
      appVersion: APP_VERSION,
      runId: run.runId,
      runName: run.runName,
      createdAt: Date.now(),
      reason,
      step,
      epoch: rollover ? epoch + 1 : epoch,
      stepInEpoch: rollover ? 0 : next,
      totalSteps: loop.schedule.totalSteps,
      finished: step >= loop.schedule.totalSteps,
      rng: this.draws.rngAt(epoch, next),
      config: loop.config,
      dataset: { id: this.data.summary.id, name: this.data.summary.name },
      normalization: { mean: this.data.mean, std: this.data.std },
      ...layout,
      metrics: this.metrics.history,
      diagnostics: this.metrics.diagnostics,
      knn: this.pacer.knnHistory,
      knnBaselines: this.pacer.knnBaselines,
      budget: this.pacer.budget,
      trainedMs: trainedMs(loop),
    };
    const t0 = performance.now();
    this.saving = clock.time('checkpoint', read).then((values) => {
      const readMs = performance.now() - t0;
      if (values.some((v) => !Number.isFinite(v))) {
        // The loss can stay finite while weights are not (ReLU6 clamps NaN activations): stop here,
        // since every later step would train on garbage.
        this.emit({
          type: 'checkpoint-error',
          message: `the weights at step ${step} are not finite; the checkpoint was not written and the last good one is kept`,
        });
        fail(
          loop,
          this.control,
          `the weights became non-finite by step ${step} (a gradient overflowed) while the loss stayed finite; training stopped and the last good checkpoint is kept. Lower baseLr, raise the batch size, or resume from that checkpoint.`,
        );
        return;
      }
      return clock.time('checkpoint', () => sink({ meta, data: values }, readMs));
    });
  }
}
