// The pause point, between two steps. A save requested from the UI is answered here, and also
// while paused; a pause first lets every queued metric reach the UI, so the charts show the step
// the run paused at.
import type { RunControl } from './run';

export interface PauseHooks {
  /** Takes a checkpoint now (the UI asked for one). */
  save: () => Promise<void>;
  /** Before pausing: report what is queued. */
  drain: () => Promise<void>;
  /** Tells the UI the run is paused or running again. */
  state: (state: 'paused' | 'running') => void;
  /** After the pause, with the time it ended and how long it lasted: paused time is not step time. */
  resumed: (now: number, pausedMs: number) => void;
}

/** Waits while the run is paused; returns false when the run was stopped instead. */
export async function pausePoint(control: RunControl, hooks: PauseHooks): Promise<boolean> {
  const answerSave = async () => {
    if (!control.saveRequested) return;
    control.saveRequested = false;
    await hooks.save();
  };
  await answerSave();
  if (!control.paused) return true;
  await hooks.drain();
  const since = performance.now();
  hooks.state('paused');
  while (control.paused && !control.stopped) {
    await control.waitWhilePaused();
    await answerSave();
  }
  const now = performance.now();
  hooks.resumed(now, now - since);
  if (control.stopped) return false;
  hooks.state('running');
  return true;
}
