import { describe, expect, it } from 'vitest';
import { ingestBudget, MAX_DATASET_BYTES, planIngest, storedSize } from './plan';

const f = (path: string, size: number | null = 100) => ({ path, size });

describe('planIngest', () => {
  it('takes classes from first-level subfolders, sorted, and keeps nested images in their class', () => {
    const plan = planIngest([f('pets/dog/a.png'), f('pets/cat/b.JPG'), f('pets/cat/deep/c.jpeg'), f('pets/dog/d.webp')]);
    expect(plan.name).toBe('pets');
    expect(plan.classes).toEqual(['cat', 'dog']);
    expect(plan.unlabeled).toBe(false);
    expect(plan.images.map((i) => [i.path, i.label])).toEqual([
      ['pets/dog/a.png', 1],
      ['pets/cat/b.JPG', 0],
      ['pets/cat/deep/c.jpeg', 0],
      ['pets/dog/d.webp', 1],
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('lists every bad file with its reason and keeps the good ones', () => {
    const plan = planIngest([
      f('d/a/1.png'),
      f('d/a/notes.txt'),
      f('d/a/.DS_Store'),
      f('d/b/2.png', 0),
      f('d/b/3.png'),
      f('d/b/huge.png', 60 * 2 ** 20),
      f('d/b/README'),
      f('d/__MACOSX/a/1.png'),
      f('d/empty/', null),
      f('d/only-hidden/.gitkeep'),
    ]);
    expect(plan.images.map((i) => i.path)).toEqual(['d/a/1.png', 'd/b/3.png']);
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]));
    expect(reasons['d/a/notes.txt']).toMatch(/^not an image \(\.txt/);
    expect(reasons['d/a/.DS_Store']).toBe('hidden file');
    expect(reasons['d/b/2.png']).toBe('empty file (0 bytes)');
    expect(reasons['d/b/huge.png']).toMatch(/60 MB is over the 50 MB limit/);
    expect(reasons['d/b/README']).toMatch(/no extension/);
    expect(reasons['d/__MACOSX/a/1.png']).toBe('hidden file');
    expect(reasons['d/empty/']).toBe('empty folder');
    expect(reasons['d/only-hidden/']).toBe('folder has no usable images');
    expect(plan.classes).toEqual(['a', 'b']);
  });

  it('images directly in the folder make it unlabeled, and says why', () => {
    const plan = planIngest([f('d/x.png'), f('d/a/y.png'), f('d/b/z.png')]);
    expect(plan.unlabeled).toBe(true);
    expect(plan.classes).toEqual([]);
    expect(plan.unlabeledReason).toMatch(/1 image is directly in the folder/);
    expect(plan.images).toHaveLength(3);
  });

  it('a folder with one subfolder only is unlabeled', () => {
    const plan = planIngest([f('d/a/x.png'), f('d/a/y.png')]);
    expect(plan.unlabeled).toBe(true);
    expect(plan.unlabeledReason).toBe('there is only one class subfolder');
  });

  it('loose dropped files (no common folder) are unlabeled', () => {
    const plan = planIngest([f('x.png'), f('y.png')]);
    expect(plan).toMatchObject({ name: 'dropped files', unlabeled: true });
  });
});

describe('storedSize', () => {
  it('is the median shorter side, between imageSize and min(2·imageSize, 128)', () => {
    expect(storedSize([28, 28, 28], 32)).toBe(32);
    expect(storedSize([500, 375, 640], 32)).toBe(64);
    expect(storedSize([500, 375, 640], 96)).toBe(128);
    expect(storedSize([40, 48, 1000], 32)).toBe(48);
    expect(storedSize([], 32)).toBe(32);
  });
});

describe('ingestBudget', () => {
  it('refuses, before decoding, a folder whose stored pixels would pass the budget, saying how many fit', () => {
    // 32 px stores at most 64×64×3 = 12,288 bytes an image: 87,381 fit in 1 GiB.
    expect(MAX_DATASET_BYTES).toBe(2 ** 30);
    expect(ingestBudget(87_381, 32)).toBeNull();
    expect(ingestBudget(87_382, 32)).toBe(
      '87382 images stored at up to 64×64 px would take 1.0 GiB, over the 1 GiB a dataset may hold here: use at most 87381 images (a subset of the folder), or a smaller imageSize',
    );
    expect(ingestBudget(30_000, 224)).toMatch(/^30000 images stored at up to 224×224 px would take 4\.2 GiB.*at most 7133 images/);
  });
});
