// How sure an accuracy is. At 85% on 400 test images the 95% interval is about ±3.5 points, so
// a top-1 is shown with its interval, and "A beats B" is said only when the paired interval of
// their difference leaves out zero. All rows of an evaluation share one test split, so a difference
// is paired: resampling the test images resamples both rows' right and wrong answers together,
// which is much tighter than two independent intervals when the rows agree on most images.
import { mulberry32 } from '../dataset/random';

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Wilson score interval for a proportion (E. B. Wilson, "Probable inference, the law of succession,
 * and statistical inference", JASA 22, 1927), as fractions in [0, 1]: `correct` right of `n`.
 * Unlike the normal approximation p ± z·√(p(1−p)/n) it stays inside [0, 1] and is not empty at 0% or
 * 100%. An empty test set (n = 0) says nothing: [0, 1].
 */
export function wilson(correct: number, n: number, z = Z95): Interval {
  if (!(n > 0)) return { lo: 0, hi: 1 };
  if (!(correct >= 0 && correct <= n)) throw new Error(`wilson: ${correct} right of ${n} is not a count of ${n}`);
  const p = correct / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At p = 0 or 1 the closed form gives the bound exactly; clamp the last ulp of rounding.
  return { lo: correct === 0 ? 0 : Math.max(0, centre - half), hi: correct === n ? 1 : Math.min(1, centre + half) };
}

export interface PairedDifference extends Interval {
  /** Accuracy of A minus accuracy of B, as a fraction. */
  diff: number;
  /** The bootstrap's resamples. */
  resamples: number;
}

export interface BootstrapOptions {
  resamples?: number; // default 2000
  seed?: number; // default 0: the same answers give the same interval
  level?: number; // default 0.95
}

/**
 * Paired percentile bootstrap of a difference in accuracy (B. Efron and R. Tibshirani, "An
 * Introduction to the Bootstrap", 1993, ch. 13): `a[i]` and `b[i]` say whether rows A and B got test
 * image i right (1) or wrong (0); each resample draws n images with replacement and takes both
 * rows' answers on them. Images both rows got right, or both wrong, add nothing to a difference,
 * so a draw needs only to say which of three kinds of image it landed on: A right alone, B right
 * alone, or the two agreeing (the same distribution as drawing indices, without the index table).
 * Returns the observed difference and the (1 − level)/2 and (1 + level)/2 quantiles of the
 * resampled ones (nearest rank).
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, o: BootstrapOptions = {}): PairedDifference {
  const n = a.length;
  if (b.length !== n)
    throw new Error(`pairedBootstrap: ${n} answers for A but ${b.length} for B; both rows must answer the same test images`);
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  if (n === 0) return { diff: 0, lo: -1, hi: 1, resamples };
  // Per image: +1 where only A is right, −1 where only B is, 0 where they agree.
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < n; i++) {
    const d = (a[i] ? 1 : 0) - (b[i] ? 1 : 0);
    if (d > 0) onlyA++;
    else if (d < 0) onlyB++;
  }
  const diff = (onlyA - onlyB) / n;
  if (onlyA + onlyB === 0) return { diff, lo: diff, hi: diff, resamples };
  // A draw of one image lands on an A-only image with probability onlyA/n, on a B-only one with onlyB/n.
  const rand = mulberry32(o.seed ?? 0);
  const pA = onlyA / n;
  const pAB = (onlyA + onlyB) / n;
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const u = rand();
      if (u < pA) s++;
      else if (u < pAB) s--;
    }
    draws[r] = s / n;
  }
  draws.sort();
  const tail = (1 - level) / 2;
  return {
    diff,
    lo: draws[Math.min(resamples - 1, Math.floor(tail * resamples))],
    hi: draws[Math.max(0, Math.ceil((1 - tail) * resamples) - 1)],
    resamples,
  };
}

/** What a difference's interval lets one say: a verdict only when it leaves out zero. */
export function verdict(d: Interval): 'higher' | 'lower' | 'within noise' {
  if (d.lo > 0) return 'higher';
  if (d.hi < 0) return 'lower';
  return 'within noise';
}

/** Mean and sample standard deviation (n − 1; 0 for one value) of figures over seeds: the spread a
 *  protocol reports across runs, where the intervals above are one run's. */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}
