// The embeddings tests' shared data and references (not shipped): seeded unit rows and the exact
// neighbour order by float64 brute force, which graph.test.ts, curate.test.ts and kmeans.test.ts
// hold the blocked and approximate versions against.
import { mulberry32 } from '../dataset/random';

/** v / |v|. */
export const normalize = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((t) => t / norm);
};

/** n random unit rows of d dims, each drawn uniform in [-1, 1]^d then normalized. [n, d] row-major. */
export function unitRows(n: number, d: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) x.set(normalize(Array.from({ length: d }, () => rand() * 2 - 1)), i * d);
  return x;
}

/** Every other row than i by decreasing cosine (float64), ties by index. x: [n, d] unit rows. */
export function bruteNeighbours(x: Float32Array, n: number, d: number, i: number): { j: number; s: number }[] {
  const out: { j: number; s: number }[] = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] * x[j * d + t];
    out.push({ j, s });
  }
  return out.sort((a, b) => b.s - a.s || a.j - b.j);
}
