import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from './split';

describe('stratifiedSplit', () => {
  const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2)];
  it('holds out testFraction of each class, disjoint and complete', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 1);
    const count = (idx: Int32Array, c: number) => [...idx].filter((i) => labels[i] === c).length;
    expect([0, 1, 2].map((c) => count(test, c))).toEqual([10, 6, 4]);
    expect(new Set([...train, ...test]).size).toBe(100);
    expect(train.length + test.length).toBe(100);
  });
  it('is reproducible for a seed and differs across seeds', () => {
    expect(stratifiedSplit(labels, 0.2, 3).test).toEqual(stratifiedSplit(labels, 0.2, 3).test);
    expect(stratifiedSplit(labels, 0.2, 3).test).not.toEqual(stratifiedSplit(labels, 0.2, 4).test);
  });
});
