import { describe, expect, it } from 'vitest';
import { findDuplicates, hash53, keptIndices } from './duplicates';

const img = (...v: number[]) => Uint8Array.from(v);

describe('hash53', () => {
  it('is the same for the same bytes and differs for one byte changed', () => {
    expect(hash53(img(1, 2, 3))).toBe(hash53(img(1, 2, 3)));
    expect(hash53(img(1, 2, 3))).not.toBe(hash53(img(1, 2, 4)));
    expect(Number.isSafeInteger(hash53(img(255, 255)))).toBe(true);
  });
});

describe('findDuplicates', () => {
  const images = [img(1, 1), img(2, 2), img(1, 1), img(3, 3), img(2, 2), img(4, 4)];
  const paths = ['a/x.png', 'a/y.png', 'a/x-copy.png', 'b/z.png', 'b/y.png', 'b/w.png'];
  const labels = [0, 0, 0, 1, 1, 1];

  it('groups identical images in order and names their classes', () => {
    expect(findDuplicates(6, (i) => images[i], labels, paths, ['a', 'b'])).toEqual([
      { paths: ['a/x.png', 'a/x-copy.png'], classes: ['a'] },
      { paths: ['a/y.png', 'b/y.png'], classes: ['a', 'b'] },
    ]);
  });

  it('finds nothing when all differ, and lists no classes when unlabeled', () => {
    expect(findDuplicates(2, (i) => [img(1), img(2)][i], [0, 0], ['p', 'q'], ['a'])).toEqual([]);
    expect(findDuplicates(2, () => img(9), [0, 0], ['p', 'q'], [])).toEqual([{ paths: ['p', 'q'], classes: [] }]);
  });

  it('keeps three copies in one group', () => {
    const g = findDuplicates(3, () => img(7, 7, 7), [0, 0, 0], ['p', 'q', 'r'], ['a']);
    expect(g).toEqual([{ paths: ['p', 'q', 'r'], classes: ['a'] }]);
  });

  it('does not join different images whose hashes collide', () => {
    const g = findDuplicates(
      3,
      (i) => [img(5, 5), img(5, 6), img(5, 5)][i],
      [0, 0, 0],
      ['p', 'q', 'r'],
      ['a'],
      () => 0,
    );
    expect(g).toEqual([{ paths: ['p', 'r'], classes: ['a'] }]);
  });
});

describe('keptIndices', () => {
  const paths = ['a/x.png', 'a/y.png', 'a/x-copy.png', 'b/z.png', 'b/y.png'];
  const groups = [
    { paths: ['a/x.png', 'a/x-copy.png'], classes: ['a'] },
    { paths: ['a/y.png', 'b/y.png'], classes: ['a', 'b'] },
  ];
  it('keeps the first of each group', () => {
    expect(keptIndices(paths, groups, 'keep-first')).toEqual([0, 1, 3]);
  });
  it('drops every copy of a conflict when asked', () => {
    expect(keptIndices(paths, groups, 'drop-all')).toEqual([0, 3]);
  });
});
