// One training step as the loop runs it: the batch's two augmented views, rendered ahead by the
// augmentation worker (../dataset/views.ts) and uploaded, then the step itself (./step.ts). Every
// diagEvery steps the step is timed: the device queue drains, then the views and the step are
// each waited for, which splits the time into data and compute. These are the only places the
// loop waits for the device on purpose.
import * as tf from '@tensorflow/tfjs';
import type { MetricRecord } from '../contract/api';
import type { ViewPair, ViewSource } from '../dataset/views';
import type { Draws, StepDraw } from './draws';
import type { PhaseClock } from './phases';
import type { Run } from './run';
import { trainStep, type StepOutput } from './step';

/** Bytes of views requested ahead at most (one step is always requested ahead). */
const AHEAD_BYTES = 64 * 2 ** 20;

/**
 * The steps' views in order: each step's draws (./draws.ts) are handed to the view source one or
 * two steps before the step that trains on them, so that the views render while the step before
 * computes.
 */
export class StepViews {
  private readonly ahead: StepDraw[] = [];
  private readonly depth: number;

  /** `largest`: the batch and the largest side its views take. */
  constructor(
    private readonly draws: Draws,
    private readonly source: ViewSource,
    largest: { batchSize: number; imageSize: number },
  ) {
    const pairBytes = 2 * 4 * 3 * largest.batchSize * largest.imageSize ** 2;
    this.depth = pairBytes * 2 <= AHEAD_BYTES ? 2 : 1;
  }

  /** The next step's views on the device ([B, S, S, 3] each), its draws checked against the
   *  loop's position; keeps the steps after it requested. */
  async next(epoch: number, index: number, clock: PhaseClock): Promise<[tf.Tensor4D, tf.Tensor4D]> {
    this.fill();
    const draw = this.ahead.shift()!;
    if (draw.epoch !== epoch || draw.index !== index) {
      throw new Error(`the views drawn for step ${draw.index} of epoch ${draw.epoch} reached step ${index} of epoch ${epoch}`);
    }
    // Charged to 'data' while it runs on this thread (no worker); waiting for the worker is idle.
    const pair: ViewPair = await clock.wait(
      'views',
      clock.time('data', () => this.source.take()),
    );
    clock.views = this.source.where;
    const shape: [number, number, number, number] = [draw.batch.length, draw.imageSize, draw.imageSize, 3];
    const views = clock.time('data', () => pair.map((v) => tf.tensor4d(v, shape)) as [tf.Tensor4D, tf.Tensor4D]);
    // WASM copies the values into its heap; other backends may keep the array itself.
    if (tf.getBackend() === 'wasm') this.source.recycle(pair);
    this.fill();
    return views;
  }

  dispose(): void {
    this.source.dispose();
  }

  private fill(): void {
    while (this.ahead.length < this.depth) {
      const d = this.draws.next();
      this.source.request(d);
      this.ahead.push(d);
    }
  }
}

/** Resolves when the device has computed `tensors` (a one-number reduction is read back). */
async function settle(tensors: tf.Tensor[]): Promise<void> {
  const probe = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(t))));
  await probe.data();
  probe.dispose();
}

export interface StepRequest {
  /** The step's two views on the device; the step disposes them. */
  views: () => Promise<[tf.Tensor4D, tf.Tensor4D]>;
  lr: number;
  diagnose: boolean;
  /** Waits until every queued metric is read: a timed step starts from an empty queue. */
  drain: () => Promise<void>;
}

/** Runs the run's next step (loop.step); its outputs stay on the device. Timed when it diagnoses
 *  (not the first step, whose time is the kernels' warm-up). */
export async function runStep(
  { ctx, loop }: Pick<Run, 'ctx' | 'loop'>,
  r: StepRequest,
): Promise<{ out: StepOutput; timing: Pick<MetricRecord, 'dataMs' | 'computeMs'> }> {
  const { step, phases: clock } = loop;
  // tidy keeps every tensor the step returns (nested in the object).
  const compute = (x1: tf.Tensor4D, x2: tf.Tensor4D) =>
    clock.time(
      'step',
      () => tf.tidy(() => trainStep(ctx, x1, x2, step, r.lr, r.diagnose) as unknown as tf.TensorContainer) as unknown as StepOutput,
    );
  if (!(r.diagnose && step > 0)) {
    const [x1, x2] = await r.views();
    const out = compute(x1, x2);
    tf.dispose([x1, x2]);
    return { out, timing: {} };
  }
  await clock.wait('readback', r.drain());
  const t0 = performance.now();
  const [x1, x2] = await r.views();
  await clock.wait('timed step', settle([x1, x2]));
  const t1 = performance.now();
  const out = compute(x1, x2);
  tf.dispose([x1, x2]);
  await clock.wait('timed step', settle([out.row]));
  return { out, timing: { dataMs: t1 - t0, computeMs: performance.now() - t1 } };
}
