// Exact duplicates in a folder: images whose stored pixels (decoded, cropped and resized: the RGB
// bytes training sees) are byte for byte the same. Copies in one class weigh that image twice;
// one image filed under two classes is a label conflict that no model can get right. Bucketed by
// a 53-bit hash, then confirmed byte for byte, so a hash collision never joins two images.
import type { ConflictChoice, DuplicateGroup } from '../contract/api';

/** cyrb53 (bryc, public domain: github.com/bryc/code, jshash/experimental/cyrb53.js): two 32-bit
 *  multiply-xor lanes, 1-2 ns a byte, far faster here than crypto.subtle for many small buffers. */
export function hash53(b: Uint8Array, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < b.length; i++) {
    h1 = Math.imul(h1 ^ b[i], 2654435761);
    h2 = Math.imul(h2 ^ b[i], 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The groups of two or more identical images, in order of each group's first image. `image(i)` is
 * image i's bytes, `labels[i]` its class (an index into classNames; no class names: unlabeled).
 */
export function findDuplicates(
  count: number,
  image: (i: number) => Uint8Array,
  labels: ArrayLike<number>,
  paths: string[],
  classNames: string[],
  hash: (b: Uint8Array) => number = hash53,
): DuplicateGroup[] {
  const buckets = new Map<number, number[][]>();
  const groups: number[][] = [];
  for (let i = 0; i < count; i++) {
    const h = hash(image(i));
    const bucket = buckets.get(h);
    if (!bucket) {
      buckets.set(h, [[i]]);
      continue;
    }
    const group = bucket.find((g) => same(image(g[0]), image(i)));
    if (!group) bucket.push([i]);
    else {
      if (group.length === 1) groups.push(group);
      group.push(i);
    }
  }
  return groups
    .sort((a, b) => a[0] - b[0])
    .map((g) => ({
      paths: g.map((i) => paths[i]),
      classes: classNames.length ? [...new Set(g.map((i) => classNames[labels[i]]))] : [],
    }));
}

/** The indices of the images to keep, in order: every group's first path, except that a group
 *  filed under several classes loses all its copies when `conflicts` is 'drop-all'. */
export function keptIndices(paths: string[], groups: DuplicateGroup[], conflicts: ConflictChoice): number[] {
  const drop = new Set<string>();
  for (const g of groups) {
    const all = conflicts === 'drop-all' && g.classes.length > 1;
    g.paths.slice(all ? 0 : 1).forEach((p) => drop.add(p));
  }
  return paths.flatMap((p, i) => (drop.has(p) ? [] : [i]));
}
