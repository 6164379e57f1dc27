// One native kernel call split over threads: the calling thread (the training worker, where
// TF.js's threaded build runs with its memory shared) and helper workers that instantiate the
// same kernels on the same memory (pool-worker.ts). Every kernel of kernels.c but sgd_step takes
// its share as units [u0, u1), and a unit's outputs do not depend on which range computes it, so a
// split call writes the same bits as one thread does (pool.test.ts, and "Check kernels" in the
// browser when threads run).
//
// A call is cut into a few parts per thread; each thread, the caller included, claims parts until
// none is left, so a helper the OS does not schedule (the views' worker shares the cores) costs
// nothing but its absence: the caller takes its parts. Control lives in a SharedArrayBuffer of its
// own: a generation counter the helpers wait on (Atomics.wait), the claim word (generation tag in
// the high half, next part in the low half, so a helper that wakes late cannot claim a part of a
// later call with the arguments of an earlier one), the parts done, and the arguments as float64.

/** The kernels that take units (kernels.c), by the index the control block carries. */
export const PARALLEL_KERNELS = [
  'conv2d',
  'conv2d_filter_grad',
  'gemm',
  'bn_stats',
  'bn_relu_forward',
  'bn_relu_backward_sums',
  'bn_relu_backward_dx',
] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

type Kernel = (...offsetsAndSizes: number[]) => void;
export type KernelTable = Record<ParallelKernel, Kernel>;

// Int32 slots of the control block.
const GEN = 0;
const CLAIM = 1;
const DONE = 2;
const PARTS = 3;
const KERNEL = 4;
const NARGS = 5;
const UNITS = 6;
const READY = 7;
const FAILED = 8;
const SLOTS = 16;
const MAX_ARGS = 24;
const ARGS_AT = SLOTS * 4;
export const CONTROL_BYTES = ARGS_AT + MAX_ARGS * 8;

export const poolOptions = {
  /** Below this much work (multiply-adds, or values touched) a call stays on the calling thread:
   *  waking a helper costs tens of microseconds. Tests set 0 to split every call. */
  minWork: 1 << 17,
  /** Parts per thread: more balance the load when a helper starts late, fewer cost fewer claims. */
  partsPerThread: 4,
  /** How long an idle helper, or the caller waiting for the last part, polls before it sleeps:
   *  the step calls the kernels back to back, and a wake-up from Atomics.wait costs more. */
  spinMs: 0.05,
  /** A call whose helpers have not finished after this long is taken as lost (a helper killed). */
  timeoutMs: 30_000,
  /** true: every call on the calling thread alone (the kernel check compares both routes). */
  off: false,
};

const tagOf = (gen: number) => (gen & 0x7fff) << 16;

/** Part i of `parts` over `units` units: [u0, u1). */
export function partRange(i: number, parts: number, units: number): [number, number] {
  return [Math.floor((i * units) / parts), Math.floor(((i + 1) * units) / parts)];
}

/** Claims and runs parts of generation `gen` until none is left; a part that throws marks the call failed. */
function claimAndRun(ctl: Int32Array, gen: number, run: (u0: number, u1: number) => void): void {
  const tag = tagOf(gen);
  const parts = Atomics.load(ctl, PARTS);
  const units = Atomics.load(ctl, UNITS);
  for (;;) {
    const c = Atomics.load(ctl, CLAIM);
    if ((c & ~0xffff) !== tag) return;
    const i = c & 0xffff;
    if (i >= parts) return;
    if (Atomics.compareExchange(ctl, CLAIM, c, c + 1) !== c) continue;
    try {
      run(...partRange(i, parts, units));
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}

/** Waits until `ctl[slot]` differs from `value`: polls for spinMs, then sleeps (Atomics.wait, where
 *  this thread may block). Returns false when `timeoutMs` passed first. */
function waitWhile(ctl: Int32Array, slot: number, value: number, timeoutMs: number): boolean {
  const t0 = performance.now();
  while (Atomics.load(ctl, slot) === value) {
    const t = performance.now() - t0;
    if (t > timeoutMs) return false;
    if (t < poolOptions.spinMs) continue;
    try {
      Atomics.wait(ctl, slot, value, Math.max(1, timeoutMs - t));
    } catch {
      // A thread that may not block (a page's main thread) keeps polling.
    }
  }
  return true;
}

/** A helper's loop (pool-worker.ts): never returns. */
export function serve(control: SharedArrayBuffer, kernels: KernelTable): never {
  const ctl = new Int32Array(control, 0, SLOTS);
  const args = new Float64Array(control, ARGS_AT, MAX_ARGS);
  let seen = Atomics.load(ctl, GEN);
  Atomics.add(ctl, READY, 1);
  for (;;) {
    waitWhile(ctl, GEN, seen, Number.POSITIVE_INFINITY);
    seen = Atomics.load(ctl, GEN);
    const kernel = kernels[PARALLEL_KERNELS[Atomics.load(ctl, KERNEL)]];
    const a = Array.from(args.subarray(0, Atomics.load(ctl, NARGS)));
    claimAndRun(ctl, seen, (u0, u1) => kernel(...a, u0, u1));
  }
}

/** The calling thread's side: `helpers` workers serve `control`. */
export class KernelPool {
  readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, SLOTS);
  private readonly args = new Float64Array(this.control, ARGS_AT, MAX_ARGS);
  private gen = 0;

  constructor(readonly helpers: number) {}

  /** Helpers that have started serving. */
  get ready(): number {
    return Atomics.load(this.ctl, READY);
  }

  /** kernels[kernel](...args, u0, u1) over [0, units), split when it is worth it. */
  run(kernels: KernelTable, kernel: ParallelKernel, units: number, work: number, args: number[]): void {
    const ready = this.ready;
    const parts = Math.min(units, (ready + 1) * poolOptions.partsPerThread, 0xffff);
    if (poolOptions.off || ready === 0 || parts < 2 || work < poolOptions.minWork) {
      kernels[kernel](...args, 0, units);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`kernel pool: ${kernel} has ${args.length} arguments, at most ${MAX_ARGS}`);
    const { ctl } = this;
    this.args.set(args);
    Atomics.store(ctl, KERNEL, PARALLEL_KERNELS.indexOf(kernel));
    Atomics.store(ctl, NARGS, args.length);
    Atomics.store(ctl, UNITS, units);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    const gen = (this.gen = (this.gen + 1) | 0);
    Atomics.store(ctl, CLAIM, tagOf(gen));
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    const fn = kernels[kernel];
    claimAndRun(ctl, gen, (u0, u1) => fn(...args, u0, u1));
    for (let done = Atomics.load(ctl, DONE); done < parts; done = Atomics.load(ctl, DONE)) {
      if (!waitWhile(ctl, DONE, done, poolOptions.timeoutMs))
        throw new Error(`kernel pool: ${kernel} waited ${poolOptions.timeoutMs} ms for a helper thread; reload the page`);
    }
    if (Atomics.load(ctl, FAILED)) throw new Error(`kernel pool: ${kernel} failed on a helper thread`);
  }
}
