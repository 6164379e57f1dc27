// A run as the worker holds it: the control the UI drives (pause, resume, stop, save) and what a
// finished run leaves behind for evaluation and export.
import type { TrainConfig } from '../contract/config';
import type { VicregModel } from '../model/model';
import type { Optimizer } from '../optim/optimizers';
import type { StepContext } from './step';
import type { RunState } from '../contract/api';

/** Cooperative control: the loop checks these flags every step, so TF.js state survives a pause or a stop. */
export class RunControl {
  paused = false;
  stopped = false;
  /** While the run trains: its model, the steps taken and its config, for evaluating a snapshot. */
  live: (() => { model: VicregModel; step: number; config: TrainConfig }) | null = null;
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
  requestSave() {
    this.saveRequested = true;
    this.wake?.();
  } // also answered while paused
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
}

/** Frees everything a TrainedRun holds on the device. */
export function releaseRun(run: TrainedRun): void {
  run.model.dispose();
  run.optimizer.dispose();
  run.avt.ema?.dispose();
}
