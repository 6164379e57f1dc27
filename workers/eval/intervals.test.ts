import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { pairedBootstrap, verdict, wilson } from './intervals';

describe('wilson', () => {
  it("matches Newcombe's worked examples (Stat. Med. 17, 1998, table II, method 3)", () => {
    // 81/263: 0.2553–0.3662; 15/148: 0.0624–0.1605; 0/20: 0–0.1611; 1/29: 0.0061–0.1718.
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of cases) {
      const w = wilson(k, n);
      expect(w.lo).toBeCloseTo(lo, 4);
      expect(w.hi).toBeCloseTo(hi, 4);
    }
  });

  it('is the closed form worked by hand at 80 of 100, and exact at 0% and 100%', () => {
    // p = 0.8, z² = 3.841459: centre (0.8 + 0.019207) / 1.038415 = 0.788914, half 0.077731.
    const w = wilson(80, 100);
    expect(w.lo).toBeCloseTo(0.7111708, 6);
    expect(w.hi).toBeCloseTo(0.8666331, 6);
    // At 0 right the upper bound is z² / (n + z²); at n right the lower is n / (n + z²).
    const z2 = 1.959963984540054 ** 2;
    expect(wilson(0, 10)).toEqual({ lo: 0, hi: expect.closeTo(z2 / (10 + z2), 12) });
    expect(wilson(10, 10)).toEqual({ lo: expect.closeTo(10 / (10 + z2), 12), hi: 1 });
  });

  it('narrows as the test set grows, holds the point estimate, and says nothing of an empty set', () => {
    const widths = [100, 400, 1600].map((n) => {
      const w = wilson(0.85 * n, n);
      expect(w.lo).toBeLessThan(0.85);
      expect(w.hi).toBeGreaterThan(0.85);
      return w.hi - w.lo;
    });
    expect(widths[1]).toBeCloseTo(widths[0] / 2, 2);
    expect(widths[2]).toBeCloseTo(widths[1] / 2, 2);
    // About ±3.5 points at 85% on 400 test images.
    expect(widths[1] / 2).toBeGreaterThan(0.034);
    expect(widths[1] / 2).toBeLessThan(0.036);
    expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 });
    expect(() => wilson(5, 4)).toThrow(/not a count/);
  });
});

describe('pairedBootstrap', () => {
  it('gives the hand-worked interval when the rows disagree on one image of four', () => {
    // A is right on images 0 and 1, B on image 1 only: the difference is (number of draws of image 0) / 4,
    // Binomial(4, 1/4): P(0) = 0.316 covers the 2.5% tail, P(≤ 2) = 0.949 < 0.975 ≤ P(≤ 3) = 0.996.
    const d = pairedBootstrap([1, 1, 0, 0], [0, 1, 0, 0], { resamples: 20000 });
    expect(d.diff).toBe(0.25);
    expect(d.lo).toBe(0);
    expect(d.hi).toBe(0.75);
    expect(verdict(d)).toBe('within noise');
  });

  it('has no spread where the rows agree, and a verdict where one is right on every image', () => {
    const same = pairedBootstrap([1, 0, 1, 1], [1, 0, 1, 1]);
    expect(same).toMatchObject({ diff: 0, lo: 0, hi: 0 });
    expect(verdict(same)).toBe('within noise');
    const all = pairedBootstrap([1, 1, 1], [0, 0, 0]);
    expect(all).toMatchObject({ diff: 1, lo: 1, hi: 1 });
    expect(verdict(all)).toBe('higher');
    expect(verdict(pairedBootstrap([0, 0, 0], [1, 1, 1]))).toBe('lower');
  });

  it('matches the normal approximation of a paired difference on 400 images, and is seeded', () => {
    // 30 images only A gets right, 10 only B: diff 0.05, sd √((0.1 − 0.05²) / 400) = 0.015612.
    const rand = mulberry32(7);
    const order = Array.from({ length: 400 }, (_, i) => i).sort(() => rand() - 0.5);
    const a = new Uint8Array(400);
    const b = new Uint8Array(400);
    order.forEach((img, rank) => {
      if (rank < 30) a[img] = 1;
      else if (rank < 40) b[img] = 1;
      else if (rank < 340) a[img] = b[img] = 1;
    });
    const d = pairedBootstrap(a, b, { resamples: 8000, seed: 3 });
    expect(d.diff).toBeCloseTo(0.05, 12);
    const half = 1.96 * Math.sqrt((0.1 - 0.05 ** 2) / 400);
    expect(Math.abs(d.lo - (0.05 - half))).toBeLessThan(0.005);
    expect(Math.abs(d.hi - (0.05 + half))).toBeLessThan(0.005);
    expect(verdict(d)).toBe('higher');
    expect(pairedBootstrap(a, b, { resamples: 8000, seed: 3 })).toEqual(d);
    // Pairing is what makes this a verdict: the two rows' own Wilson intervals overlap.
    const wa = wilson(330, 400);
    const wb = wilson(310, 400);
    expect(wa.lo).toBeLessThan(wb.hi);
  });

  it('refuses rows that did not answer the same test images', () => {
    expect(() => pairedBootstrap([1, 0], [1])).toThrow(/same test images/);
  });
});
