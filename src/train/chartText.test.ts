import { describe, expect, it } from 'vitest';
import { summarize, trend } from './chartText';

const pts = (ys: number[]) => ys.map((y, x) => ({ x: 10 * x, y }));
const fmt = (v: number) => v.toFixed(1);

describe('trend', () => {
  it('reads rising, falling and flat from the first and last tenth', () => {
    expect(trend([3, 2.5, 2, 1.5, 1])).toBe('falling');
    expect(trend([1, 2, 3])).toBe('rising');
    expect(trend([2, 2, 2])).toBe('flat');
    // A spike in the middle is no trend: the ends differ by under a tenth of the range.
    expect(trend([1, 1, 9, 1, 1.5])).toBe('flat');
  });
});

describe('summarize', () => {
  it('gives first, last, min, max and the trend of each series', () => {
    expect(summarize([{ label: 'loss', points: pts([3, 4, 1, 2]) }], fmt)).toBe(
      'loss 3.0 at step 0 to 2.0 at step 30 (min 1.0, max 4.0), falling.',
    );
  });
  it('skips values that are not finite, and series without points', () => {
    expect(
      summarize(
        [
          { label: 'a', points: pts([Number.NaN, 1, 2]) },
          { label: 'b', points: [] },
        ],
        fmt,
        'images',
      ),
    ).toBe('a 1.0 at images 10 to 2.0 at images 20 (min 1.0, max 2.0), rising.');
    expect(summarize([{ label: 'b', points: [] }], fmt)).toBe('No points yet.');
  });
  it('names a single point without a range', () => {
    expect(summarize([{ label: 'top-1', points: pts([0.5]) }], fmt)).toBe('top-1 0.5 at step 0.');
  });
});
