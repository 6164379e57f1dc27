// Is the worker still there? A worker that runs out of memory or is killed sends nothing, and
// Comlink's calls to it never settle. The UI pings it; the worker answers between training steps
// (the loop yields after every step), so a worker silent for much longer than its slowest step
// is gone. The allowance grows with the step time the trainer reports, so a 3-minute step on the
// plain CPU backend is not taken for a crash.

/** Below this nothing is judged: shader compiles and the backend probe can block for seconds. */
export const MIN_SILENCE_MS = 30_000;
/** A step this many times slower than the slowest seen so far is taken for a dead worker. */
export const STEP_ALLOWANCE = 5;

export class Liveness {
  private lastHeard: number;
  private slowestStepMs = 0;

  constructor(now: number) {
    this.lastHeard = now;
  }

  /** Any message or answer from the worker. */
  heard(now: number): void {
    this.lastHeard = now;
  }

  /** A training step's duration, from the metrics the worker streams. */
  step(ms: number): void {
    if (Number.isFinite(ms)) this.slowestStepMs = Math.max(this.slowestStepMs, ms);
  }

  /** How long the worker may stay silent. */
  allowanceMs(): number {
    return Math.max(MIN_SILENCE_MS, STEP_ALLOWANCE * this.slowestStepMs);
  }

  /** Whether the worker has been silent for longer than it may be. */
  dead(now: number): boolean {
    return now - this.lastHeard > this.allowanceMs();
  }
}
