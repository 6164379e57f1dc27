// Progressive resolution (FFCV's progressive resizing: Leclerc et al., "FFCV", CVPR 2023): the run
// starts on small crops and grows them to imageSize, in steps of 8 px, by progressiveUntil of the
// run; the rest trains at full size, so the BatchNorm statistics and the evaluation are full-size.
// A step's cost grows with its pixels: a 16-px step of a 32-px recipe took 0.43 of a full one, so
// the same time buys more epochs. A time budget plans with that cost (meanCost).
import type { TrainConfig } from '../contract/config';

type Progressive = Pick<TrainConfig, 'imageSize' | 'progressiveFrom' | 'progressiveUntil'>;

/** Sides grow by this many pixels: the small CNN's last map (side / 8) stays whole. */
const QUANTUM = 8;

/** Whether the run grows its crops at all. */
export const progressive = (c: Progressive) => c.progressiveFrom > 0 && c.progressiveFrom < c.imageSize;

/** The crop side of step `step` (0-based) of a run of `totalSteps`; null: the run's length is not
 *  fixed yet (a time budget still timing its steps), which trains at the starting side. */
export function sideAt(c: Progressive, step: number, totalSteps: number | null): number {
  if (!progressive(c)) return c.imageSize;
  if (totalSteps === null) return c.progressiveFrom;
  const f = Math.min(1, step / Math.max(1, c.progressiveUntil * totalSteps));
  const side = c.progressiveFrom + (c.imageSize - c.progressiveFrom) * f;
  return Math.min(c.imageSize, Math.max(c.progressiveFrom, QUANTUM * Math.floor(side / QUANTUM)));
}

/**
 * Share of a full-size step's time that does not shrink with the crop: the projector, the loss,
 * the optimizer, each kernel's fixed cost. Measured on the default recipe (WASM, one thread, 2-core
 * VM; bench/loop.ts at a fixed imageSize): a 16-px step took 0.43 and a 24-px step 0.69 of a 32-px
 * one, where pixels alone would say 0.25 and 0.56. The first guess of a budget's plan: a wider
 * model has a smaller share (width 24 and 32 overran a 10-minute budget by 14% and 20% on it), so
 * the run measures its own from two sides (fitFixedShare) and plans again.
 */
export const FIXED_SHARE = 0.25;

/** A step's cost at `side` relative to one at imageSize: a fixed part, the rest by its pixels. */
export const relativeCost = (c: Progressive, side: number, share = FIXED_SHARE) => share + (1 - share) * (side / c.imageSize) ** 2;

/** The mean relative cost of steps [from, totalSteps) of a run of totalSteps. */
export function meanCost(c: Progressive, from: number, totalSteps: number, share = FIXED_SHARE): number {
  if (!progressive(c) || from >= totalSteps) return 1;
  let sum = 0;
  for (let s = from; s < totalSteps; s++) sum += relativeCost(c, sideAt(c, s, totalSteps), share);
  return sum / (totalSteps - from);
}

/**
 * The fixed share measured: mean step times at two sides fit ms(side) = A + B·side², and the share
 * is A / ms(imageSize). Null when the two cannot tell (same side, or the larger side not slower);
 * at most 0.95, since a share of 1 would price every side alike.
 */
export function fitFixedShare(c: Progressive, a: { side: number; ms: number }, b: { side: number; ms: number }): number | null {
  const d = b.side ** 2 - a.side ** 2;
  if (d === 0) return null;
  const B = (b.ms - a.ms) / d;
  if (!(B > 0)) return null;
  const A = a.ms - B * a.side ** 2;
  return Math.min(0.95, Math.max(0, A / (A + B * c.imageSize ** 2)));
}
