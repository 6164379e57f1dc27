// A run as the worker holds it: the control the UI drives (pause, resume, stop, save), what the
// loop's parts share while it trains, and what a finished run leaves behind for evaluation and export.
import type { TrainConfig } from '../contract/config';
import type { CheckpointMeta } from '../checkpoint/record';
import type { Dataset } from '../dataset/dataset';
import type { VicregModel } from '../model/model';
import type { Optimizer } from '../optim/optimizers';
import type { PhaseClock } from './phases';
import type { StepContext } from './step';
import type { CollapseWatch } from './warnings';
import type { PhaseReport, RunState, TrainEvent } from '../contract/api';

/** Cooperative control: the loop checks these flags every step, so TF.js state survives a pause or a stop. */
export class RunControl {
  paused = false;
  stopped = false;
  /** While the run trains: its model, the steps taken, its config and training time so far, for
   *  evaluating a snapshot. */
  live: (() => { model: VicregModel; step: number; config: TrainConfig; trainedMs: number }) | null = null;
  saveRequested = false; // a checkpoint on demand, taken before the next step
  private wake: (() => void) | null = null;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
    this.wake?.();
  }
  stop() {
    this.stopped = true;
    this.wake?.();
  }
  /** Also answered while paused. */
  requestSave() {
    this.saveRequested = true;
    this.wake?.();
  }
  /** Resolves when resumed or stopped. */
  waitWhilePaused(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }
}

/** What a run leaves behind for evaluation and export; the caller disposes it. */
export interface TrainedRun {
  state: RunState;
  step: number;
  model: VicregModel;
  optimizer: Optimizer;
  avt: StepContext['avt'];
  config: TrainConfig; // the resolved config the weights were trained with
  /** Where the loop's time went (./phases.ts). */
  phases?: PhaseReport;
  /** The loop's wall time up to `step`, across resumes, paused time left out; unknown for a
   *  checkpoint written before it was recorded. What a baseline at equal cost gets. */
  trainedMs?: number;
}

/** Frees everything a TrainedRun holds on the device. */
export function releaseRun(run: Pick<TrainedRun, 'model' | 'optimizer' | 'avt'>): void {
  run.model.dispose();
  run.optimizer.dispose();
  run.avt.ema?.dispose();
}

/** Where a run stands: its position, schedule and clock, which the loop's parts move (Run). */
export interface RunLoop {
  runId: string;
  runName: string;
  /** The resolved config; a time budget replaces its epochs once the steps are timed (./pacing.ts). */
  config: TrainConfig;
  step: number;
  stepsPerEpoch: number;
  /** The learning-rate schedule; its totalSteps is the run's, moved by a time budget. */
  schedule: { baseLr: number; batchSize: number; warmupSteps: number; totalSteps: number };
  /** performance.now() when the run started: a time budget counts from it. */
  started: number;
  /** Why the run failed, once it has; the first failure stops it. */
  failure: string | null;
  /** The loop thread's time by phase. */
  phases: PhaseClock;
  /** Training time before this session of the run: the resumed checkpoint's trainedMs. */
  trainedBeforeMs: number;
}

/** One run as its loop's parts (./metrics.ts, ./checkpointing.ts, ./pacing.ts, ./timed-step.ts)
 *  share it: built once by ./trainer.ts, and passed whole rather than piece by piece. */
export interface Run {
  loop: RunLoop;
  control: RunControl;
  data: Dataset;
  /** The model, optimizer and AVT state that train, the only ones: what a checkpoint captures and
   *  a k-NN point reads. */
  ctx: StepContext;
  emit: (e: TrainEvent) => void;
  /** One for the run, so that each warning fires once, from whichever part saw it first. */
  watch: CollapseWatch;
  /** The checkpoint this session of the run continues: its history, k-NN points and budget. */
  resume?: CheckpointMeta;
}

/** The run's training time up to now (TrainedRun.trainedMs). */
export const trainedMs = (loop: RunLoop): number => loop.trainedBeforeMs + loop.phases.wallMs();

/** Records the run's first failure and stops it. */
export function fail({ loop, control }: Pick<Run, 'loop' | 'control'>, message: string): void {
  if (loop.failure) return;
  loop.failure = message;
  control.stop();
}
