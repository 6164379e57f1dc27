import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/random';
import { exactDuplicateGroups, fnv1a, labelSuspects, nearDuplicateGroups, outlierScores, topByScore } from './curate';
import type { KnnGraph } from './graph';
import { bruteNeighbours, normalize } from './test-kit';

/** Unit rows: each given row plus uniform noise of the given size, normalized. [rows.length, d]. */
function jittered(rows: number[][], noise: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from(rows.flatMap((r) => normalize(r.map((t) => t + noise * (rand() * 2 - 1)))));
}

const basis = (d: number, i: number) => Array.from({ length: d }, (_, t) => (t === i ? 1 : 0));

/** The exact k-NN graph by float64 brute force (graph.test.ts checks knnGraph against the same). */
function bruteGraph(x: Float32Array, n: number, d: number, k: number): KnnGraph {
  const indices = new Int32Array(n * k);
  const sims = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    bruteNeighbours(x, n, d, i)
      .slice(0, k)
      .forEach(({ j, s }, r) => ((indices[i * k + r] = j), (sims[i * k + r] = s)));
  }
  return { n, k, indices, sims };
}

describe('outlierScores and topByScore (mean k-NN distance)', () => {
  it('ranks a planted far point first, above every clustered point', () => {
    const d = 8;
    // Three tight clusters of 20 around e0, e1, e2 and one point along e5, far from all of them.
    const rows = [...[0, 1, 2].flatMap((c) => Array.from({ length: 20 }, () => basis(d, c))), basis(d, 5)];
    const x = jittered(rows, 0.1, 4);
    const g = bruteGraph(x, 61, d, 5);
    const scores = outlierScores(g, 5);
    const top = topByScore(scores, 3);
    expect(top[0]).toBe(60);
    expect(scores[60]).toBeGreaterThan(0.8);
    expect(Math.max(...scores.subarray(0, 60))).toBeLessThan(0.1);
    // The score is the mean of 1 − sim over the first k.
    expect(outlierScores(g, 2)[7]).toBeCloseTo((2 - g.sims[35] - g.sims[36]) / 2, 6);
  });

  it('keeps index order among equal scores and clamps m', () => {
    expect(Array.from(topByScore(Float32Array.from([0.5, 0.9, 0.5, 0.1]), 10))).toEqual([1, 0, 2, 3]);
    expect(Array.from(topByScore(Float32Array.from([0.5, 0.9]), 0))).toEqual([]);
  });

  it('refuses a k beyond the graph', () => {
    const g: KnnGraph = { n: 2, k: 1, indices: Int32Array.from([1, 0]), sims: Float32Array.from([0.5, 0.5]) };
    expect(() => outlierScores(g, 2)).toThrow("k must be an integer in 1..1 (the graph's neighbours per row), got 2");
  });
});

describe('nearDuplicateGroups (union-find over close pairs)', () => {
  // 40 random rows in 16 dimensions (pairwise cosine well under 0.95), then a near copy of row 5 and
  // two of row 10.
  const d = 16;
  const base = Array.from(
    jittered(
      Array.from({ length: 40 }, () => new Array(d).fill(0)),
      1,
      9,
    ),
  );
  const row = (i: number) => base.slice(i * d, (i + 1) * d);
  const x = Float32Array.from([...base, ...jittered([row(5), row(10), row(10)], 0.01, 2)]);
  const n = 43;

  it('finds the planted pair and triple and nothing else', () => {
    const g = bruteGraph(x, n, d, 4);
    const groups = nearDuplicateGroups(g, 0.95);
    expect(groups.map((gr) => gr.members)).toEqual([
      [10, 41, 42],
      [5, 40],
    ]);
    // minSim and maxSim are the extremes of the linking pairs' similarities.
    const cos = (i: number, j: number) => x.subarray(i * d, (i + 1) * d).reduce((s, v, t) => s + v * x[j * d + t], 0);
    const triple = [cos(10, 41), cos(10, 42), cos(41, 42)];
    expect(groups[0].minSim).toBeCloseTo(Math.min(...triple), 6);
    expect(groups[0].maxSim).toBeCloseTo(Math.max(...triple), 6);
    expect(groups[1].minSim).toBeCloseTo(cos(5, 40), 6);
    expect(groups[1].maxSim).toBeCloseTo(cos(5, 40), 6);
    expect(nearDuplicateGroups(g, 1.01)).toEqual([]);
  });

  it('joins more copies than k + 1 into one group, through chains of neighbours', () => {
    const copies = jittered(
      Array.from({ length: 7 }, () => row(0)),
      0.001,
      3,
    );
    const y = Float32Array.from([...copies, ...base.slice(d)]);
    const groups = nearDuplicateGroups(bruteGraph(y, 46, d, 2), 0.95);
    expect(groups.map((gr) => gr.members)).toEqual([[0, 1, 2, 3, 4, 5, 6]]);
  });
});

describe('exactDuplicateGroups (FNV-1a buckets, confirmed byte by byte)', () => {
  it('finds planted copies and not a copy with one byte changed', () => {
    const rand = mulberry32(1);
    const [count, bytes] = [10, 12];
    const pixels = Uint8Array.from({ length: count * bytes }, () => Math.floor(rand() * 256));
    const copy = (from: number, to: number) => pixels.copyWithin(to * bytes, from * bytes, (from + 1) * bytes);
    copy(2, 7);
    copy(2, 9);
    copy(0, 4);
    copy(3, 5);
    pixels[5 * bytes + 6] ^= 1;
    expect(exactDuplicateGroups(pixels, count, bytes)).toEqual([
      [0, 4],
      [2, 7, 9],
    ]);
  });

  it('does not join two different images whose hashes collide', () => {
    // "glbvs" and "yacxa" share the FNV-1a hash 0xa1bc9a4f (found by exhaustive search over 5 letters).
    const pixels = new TextEncoder().encode('glbvsyacxaglbvs');
    expect(fnv1a(pixels, 0, 5)).toBe(0xa1bc9a4f);
    expect(fnv1a(pixels, 5, 10)).toBe(0xa1bc9a4f);
    expect(exactDuplicateGroups(pixels, 3, 5)).toEqual([[0, 2]]);
  });

  it('hashes as the FNV reference does, and refuses a wrong length', () => {
    // Test vectors of the FNV reference code (Landon Curt Noll, test_fnv.c): "" and "a".
    expect(fnv1a(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(() => exactDuplicateGroups(new Uint8Array(11), 3, 4)).toThrow('expected 3×4 = 12 bytes, got 11');
  });
});

describe('labelSuspects (weighted k-NN vote against the given label)', () => {
  // Two clusters of 12 (around e0, labelled 0; around e1, labelled 1); row 3 is mislabelled 1.
  const d = 6;
  const rows = [...Array.from({ length: 12 }, () => basis(d, 0)), ...Array.from({ length: 12 }, () => basis(d, 1))];
  const x = jittered(rows, 0.2, 6);
  const labels = Int32Array.from(rows, (_, i) => (i < 12 ? 0 : 1));
  labels[3] = 1;
  const g = bruteGraph(x, 24, d, 6);

  it('ranks a planted mislabelled point first, with the cluster as its suggestion', () => {
    const s = labelSuspects(g, labels, 2, 6);
    expect(s[0]).toMatchObject({ index: 3, given: 1, suggested: 0 });
    // All six neighbours of row 3 sit in the first cluster, labelled 0: p = (1, 0).
    expect(s[0].confidence).toBeCloseTo(1, 9);
    // Its neighbours see one vote for 1 among several for 0: no other row is judged wrong.
    expect(s.map((r) => r.index)).toEqual([3]);
  });

  it('lets rows labelled -1 neither vote nor be reported', () => {
    // Five of row 3's six neighbours lose their label: the sixth alone decides, p = (1, 0) still (an
    // unlabelled vote in the sum would lower it), and none of the five is reported.
    const partly = labels.slice();
    const around = Array.from(g.indices.subarray(3 * 6, 4 * 6));
    for (const j of around.slice(0, 5)) partly[j] = -1;
    const s = labelSuspects(g, partly, 2, 6);
    expect(s[0]).toMatchObject({ index: 3, given: 1, suggested: 0 });
    expect(s[0].confidence).toBeCloseTo(1, 9);
    expect(s.map((r) => r.index)).toEqual([3]);
    // With no labelled neighbours at all, a row is not judged.
    const alone = Int32Array.from(labels, (_, i) => (i === 3 ? 1 : -1));
    expect(labelSuspects(g, alone, 2, 6)).toEqual([]);
  });

  it('weights votes by exp(sim / T): one very close neighbour outvotes two far ones at small T only', () => {
    const h: KnnGraph = { n: 4, k: 3, indices: Int32Array.from([1, 2, 3, 0, 2, 3, 0, 1, 3, 0, 1, 2]), sims: new Float32Array(12) };
    h.sims.set([0.95, 0.6, 0.6]);
    const y = Int32Array.from([1, 0, 1, 1]);
    expect(labelSuspects(h, y, 2, 3, 0.07).some((r) => r.index === 0)).toBe(true);
    expect(labelSuspects(h, y, 2, 3, 10).some((r) => r.index === 0)).toBe(false);
  });

  it('refuses labels that do not fit', () => {
    expect(() => labelSuspects(g, labels.subarray(1), 2, 6)).toThrow('expected 24 labels (one per graph row), got 23');
    expect(() => labelSuspects(g, labels, 1, 6)).toThrow('label 1 of row 3 is not below numClasses = 1');
  });
});
