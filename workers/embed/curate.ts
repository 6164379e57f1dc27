// Dataset curation from the neighbour graph (./graph.ts) and the raw pixels: outliers, near and
// exact duplicates, likely label errors. Plain JS over the graph's [n, k] arrays: each is O(n·k).
import type { KnnGraph } from './graph';

/** Throws unless 1 ≤ k ≤ the graph's neighbours per row. */
function checkK(g: KnnGraph, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > g.k)
    throw new Error(`k must be an integer in 1..${g.k} (the graph's neighbours per row), got ${k}`);
}

/**
 * Outlier score per row: the mean cosine distance 1 − sim to its k nearest neighbours. The k-NN
 * distance score of Ramaswamy, Rastogi & Shim ("Efficient algorithms for mining outliers from large
 * data sets", SIGMOD 2000), averaged over the k as Angiulli & Pizzuti (PKDD 2002) do, which is less
 * noisy than the k-th distance alone. g [n, ≥ k] -> [n], higher is more isolated.
 */
export function outlierScores(g: KnnGraph, k: number): Float32Array {
  checkK(g, k);
  const scores = new Float32Array(g.n);
  for (let i = 0; i < g.n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += 1 - g.sims[i * g.k + j];
    scores[i] = s / k;
  }
  return scores;
}

/** The m (at most n) indices of highest score, highest first; equal scores keep index order. [n] -> [min(m, n)]. */
export function topByScore(scores: Float32Array, m: number): Int32Array {
  if (!Number.isInteger(m) || m < 0) throw new Error(`m must be a non-negative integer, got ${m}`);
  const order = Int32Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.min(m, scores.length));
}

export interface NearDuplicateGroup {
  members: number[]; // ascending
  minSim: number; // the lowest similarity among the pairs that linked the group
  maxSim: number; // the highest
}

/**
 * Near-duplicate groups: the connected components of the graph's pairs with similarity ≥ threshold
 * (union-find with path halving and union by size; Tarjan, "Efficiency of a good but not linear set
 * union algorithm", JACM 1975), groups of two or more. A group is linked by a chain of close pairs,
 * so its ends may be further apart than the threshold; minSim says how far. Only pairs within a
 * row's k neighbours are seen: a cluster of more than k + 1 copies is still one group (each copy
 * links to some), but two copies that are neither's among the other's k nearest are missed.
 * Groups sorted by size, then maxSim, descending. g [n, k] -> groups.
 */
export function nearDuplicateGroups(g: KnnGraph, threshold: number): NearDuplicateGroup[] {
  if (!Number.isFinite(threshold)) throw new Error(`threshold must be a number, got ${threshold}`);
  const parent = Int32Array.from({ length: g.n }, (_, i) => i);
  const size = new Int32Array(g.n).fill(1);
  const find = (i: number) => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const linked = (i: number, j: number) => g.sims[i * g.k + j] >= threshold;
  for (let i = 0; i < g.n; i++) {
    for (let j = 0; j < g.k; j++) {
      if (!linked(i, j)) break; // neighbours come most similar first
      let a = find(i);
      let b = find(g.indices[i * g.k + j]);
      if (a === b) continue;
      if (size[a] < size[b]) [a, b] = [b, a];
      parent[b] = a;
      size[a] += size[b];
    }
  }
  const groups = new Map<number, NearDuplicateGroup>();
  for (let i = 0; i < g.n; i++) {
    const root = find(i);
    if (size[root] < 2) continue;
    let group = groups.get(root);
    if (!group) groups.set(root, (group = { members: [], minSim: Infinity, maxSim: -Infinity }));
    group.members.push(i); // i ascends, so members do
    for (let j = 0; j < g.k && linked(i, j); j++) {
      const s = g.sims[i * g.k + j];
      group.minSim = Math.min(group.minSim, s);
      group.maxSim = Math.max(group.maxSim, s);
    }
  }
  return [...groups.values()].sort((a, b) => b.members.length - a.members.length || b.maxSim - a.maxSim || a.members[0] - b.members[0]);
}

/** FNV-1a, 32-bit (Fowler, Noll & Vo; the IETF draft-eastlake-fnv), of bytes [from, to). */
export function fnv1a(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/**
 * Exact duplicates by content: images of bytesPerImage bytes each in pixels [count, bytesPerImage]
 * are bucketed by FNV-1a hash, and a bucket is split by byte equality, so a hash collision never
 * joins two different images. Groups of two or more, members ascending, sorted by first member.
 */
export function exactDuplicateGroups(pixels: Uint8Array, count: number, bytesPerImage: number): number[][] {
  if (!Number.isInteger(count) || !Number.isInteger(bytesPerImage) || count < 0 || bytesPerImage < 1)
    throw new Error(`need count ≥ 0 images of bytesPerImage ≥ 1 bytes, got ${count} and ${bytesPerImage}`);
  if (pixels.length !== count * bytesPerImage)
    throw new Error(`expected ${count}×${bytesPerImage} = ${count * bytesPerImage} bytes, got ${pixels.length}`);
  const image = (i: number) => pixels.subarray(i * bytesPerImage, (i + 1) * bytesPerImage);
  const same = (a: Uint8Array, b: Uint8Array) => {
    for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return false;
    return true;
  };
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const h = fnv1a(pixels, i * bytesPerImage, (i + 1) * bytesPerImage);
    const bucket = buckets.get(h);
    if (bucket) bucket.push(i);
    else buckets.set(h, [i]);
  }
  const groups: number[][] = [];
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    const classes: number[][] = [];
    for (const i of bucket) {
      const into = classes.find((c) => same(image(c[0]), image(i)));
      if (into) into.push(i);
      else classes.push([i]);
    }
    groups.push(...classes.filter((c) => c.length >= 2));
  }
  return groups.sort((a, b) => a[0] - b[0]);
}

export interface LabelSuspect {
  index: number; // the image
  given: number; // its label
  suggested: number; // the neighbours' vote
  confidence: number; // p[suggested] − p[given], in (0, 1]
}

/**
 * Likely label errors: each labelled row's k nearest labelled neighbours vote for their class with
 * weight exp(sim / T), the weighted k-NN of Wu et al. (CVPR 2018) as workers/eval/knn.ts computes it
 * (T = 0.07 there too); p = votes / Σ votes. A row whose vote disagrees with its label is a suspect,
 * ranked by p[suggested] − p[given]: the idea of confident learning (Northcutt, Jiang & Chuang,
 * JAIR 2021) and FiftyOne's mistakenness, with neighbours in place of a classifier's predictions.
 * Rows labelled < 0 (unlabelled) neither vote nor are judged; a row without labelled neighbours is
 * not judged. Class ties go to the lower class. g [n, ≥ k], labels [n] -> suspects, most confident
 * first (then by index).
 */
export function labelSuspects(g: KnnGraph, labels: Int32Array, numClasses: number, k: number, temperature = 0.07): LabelSuspect[] {
  checkK(g, k);
  if (labels.length !== g.n) throw new Error(`expected ${g.n} labels (one per graph row), got ${labels.length}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
  if (!(temperature > 0)) throw new Error(`temperature must be positive, got ${temperature}`);
  const bad = labels.findIndex((y) => y >= numClasses);
  if (bad >= 0) throw new Error(`label ${labels[bad]} of row ${bad} is not below numClasses = ${numClasses}`);
  const suspects: LabelSuspect[] = [];
  const votes = new Float64Array(numClasses);
  for (let i = 0; i < g.n; i++) {
    const given = labels[i];
    if (given < 0) continue;
    votes.fill(0);
    let total = 0;
    for (let j = 0; j < k; j++) {
      const y = labels[g.indices[i * g.k + j]];
      if (y < 0) continue;
      const w = Math.exp(g.sims[i * g.k + j] / temperature);
      votes[y] += w;
      total += w;
    }
    if (total === 0) continue;
    let suggested = 0;
    for (let c = 1; c < numClasses; c++) if (votes[c] > votes[suggested]) suggested = c;
    // An exact tie with the given label is no evidence against it.
    if (votes[suggested] > votes[given])
      suspects.push({ index: i, given, suggested, confidence: (votes[suggested] - votes[given]) / total });
  }
  return suspects.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
}
