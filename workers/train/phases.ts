// Where the training loop's wall time goes, by phase, as the thread that runs the step sees it.
// Only synchronous sections are charged: on WASM and CPU a kernel runs inside the call that
// dispatches it, so a section's time is its work; time spent awaiting (a readback, the augmentation
// worker, IndexedDB, the next macrotask) is the thread's idle time. On WebGPU and WebGL the step
// section is dispatch only and the device's time shows up as waits.
import { LOOP_PHASES, type LoopPhase, type PhaseReport } from '../contract/api';

const zeros = () => Object.fromEntries(LOOP_PHASES.map((p) => [p, 0])) as Record<LoopPhase, number>;

export class PhaseClock {
  private ms = zeros();
  private open: { phase: LoopPhase; since: number }[] = [];
  private startedAt: number | null = null;
  private endedAt: number | null = null;
  private steps = 0;
  private images = 0;
  /** Where the views are rendered (../dataset/views.ts), as the loop last saw it. */
  views: PhaseReport['views'] = null;
  private waits: Record<string, number> = {};

  /** The loop's first step starts now. */
  begin(now = performance.now()): void {
    this.startedAt ??= now;
  }

  /** A step of `images` images (pairs of views) was taken. */
  stepDone(images: number): void {
    this.steps++;
    this.images += images;
  }

  /** The loop has ended. */
  end(now = performance.now()): void {
    this.endedAt = now;
  }

  /** The loop's wall time so far, paused time left out. */
  wallMs(now = performance.now()): number {
    return this.startedAt === null ? 0 : (this.endedAt ?? now) - this.startedAt;
  }

  /** Paused time is neither busy nor idle: the wall clock skips it. */
  skip(ms: number): void {
    if (this.startedAt !== null) this.startedAt += ms;
  }

  /** Runs `f` (synchronous) charged to `phase`. A section opened inside it is charged to its own
   *  phase, not twice: the outer section's clock stops meanwhile. */
  time<T>(phase: LoopPhase, f: () => T): T {
    const now = performance.now();
    const outer = this.open.at(-1);
    if (outer) this.ms[outer.phase] += now - outer.since;
    this.open.push({ phase, since: now });
    try {
      return f();
    } finally {
      const end = performance.now();
      const mine = this.open.pop()!;
      this.ms[mine.phase] += end - mine.since;
      const back = this.open.at(-1);
      if (back) back.since = end;
    }
  }

  /** Awaits `p`, the loop idle meanwhile, and counts the time against `reason`. */
  async wait<T>(reason: string, p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await p;
    } finally {
      this.waits[reason] = (this.waits[reason] ?? 0) + performance.now() - t0;
    }
  }

  report(now = performance.now()): PhaseReport {
    const wallMs = this.wallMs(now);
    const busy = LOOP_PHASES.reduce((s, p) => s + this.ms[p], 0);
    return {
      steps: this.steps,
      images: this.images,
      wallMs,
      ms: { ...this.ms },
      idleMs: Math.max(0, wallMs - busy),
      views: this.views,
      waits: { ...this.waits },
    };
  }
}
