import { describe, expect, it } from 'vitest';
import { FIXED_SHARE, fitFixedShare, meanCost, relativeCost, sideAt } from './resolution';

const c = { imageSize: 32, progressiveFrom: 16, progressiveUntil: 0.75 };

describe('progressive resolution', () => {
  it('grows 16 -> 24 -> 32 px in steps of 8 and holds the full size from progressiveUntil on', () => {
    const sides = Array.from({ length: 100 }, (_, s) => sideAt(c, s, 100));
    expect(sides.slice(0, 37).every((x) => x === 16)).toBe(true); // side < 24 until half the ramp
    expect(sides.slice(38, 75).every((x) => x === 24)).toBe(true);
    expect(sides.slice(75).every((x) => x === 32)).toBe(true);
  });

  it('trains at the starting side while a budget has not fixed the length, and is off at 0', () => {
    expect(sideAt(c, 500, null)).toBe(16);
    expect(sideAt({ ...c, progressiveFrom: 0 }, 0, 100)).toBe(32);
    expect(sideAt({ ...c, progressiveFrom: 32 }, 0, 100)).toBe(32);
  });

  it('prices a step by a fixed share and its pixels: the mean over the run is what a budget plans with', () => {
    const cost = (side: number) => FIXED_SHARE + (1 - FIXED_SHARE) * (side / 32) ** 2;
    expect(relativeCost(c, 16)).toBeCloseTo(cost(16), 12);
    expect(relativeCost(c, 32)).toBe(1);
    // 37.5% at 16 px, 37.5% at 24 px, 25% at 32 px.
    expect(meanCost(c, 0, 1000)).toBeCloseTo(0.375 * cost(16) + 0.375 * cost(24) + 0.25, 2);
    expect(meanCost(c, 750, 1000)).toBe(1);
    expect(meanCost({ ...c, progressiveFrom: 0 }, 0, 1000)).toBe(1);
  });

  it('fits the fixed share from step times at two sides, and says when two sides cannot tell', () => {
    // ms = A + B·side², A = 60, B = 0.25: a 32-px step 316 ms, of it 60 fixed.
    const ms = (side: number) => 60 + 0.25 * side ** 2;
    expect(fitFixedShare(c, { side: 16, ms: ms(16) }, { side: 24, ms: ms(24) })).toBeCloseTo(60 / ms(32), 12);
    expect(fitFixedShare(c, { side: 24, ms: ms(24) }, { side: 16, ms: ms(16) })).toBeCloseTo(60 / ms(32), 12);
    // The default recipe as measured (16 px: 0.43 of a 32-px step) gives about FIXED_SHARE.
    expect(fitFixedShare(c, { side: 16, ms: 0.43 }, { side: 32, ms: 1 })).toBeCloseTo(FIXED_SHARE, 1);
    expect(fitFixedShare(c, { side: 16, ms: 100 }, { side: 16, ms: 120 })).toBeNull();
    expect(fitFixedShare(c, { side: 16, ms: 100 }, { side: 24, ms: 90 })).toBeNull();
    // Pixels that cost nothing would price every side alike: capped below 1.
    expect(fitFixedShare(c, { side: 16, ms: 100 }, { side: 24, ms: 100.001 })).toBe(0.95);
  });
});
