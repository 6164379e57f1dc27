// UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) of the features for the 2-D map, by
// umap-js (PAIR-code/umap-js), fed the exact k-NN graph ./graph.ts computed by matmul on the
// device instead of its own NN-descent, and stepped one epoch at a time so that the map is drawn
// while the layout settles.
import { UMAP } from 'umap-js';
import { mulberry32 } from '../dataset/random';
import { nextTask } from '../train/next-task';
import type { KnnGraph } from './graph';

/** umap-learn's default neighbourhood: 15 points, the point itself included. */
export const UMAP_NEIGHBOURS = 15;
/** How often (ms) a frame of the settling layout is handed out. */
const FRAME_MS = 250;

/**
 * The layout [N, 2] (row-major) of the points whose k-NN graph is `g` (cosine similarities; the
 * distance UMAP sees is 1 − sim). umap-learn's convention for a precomputed graph puts each point
 * first in its own list at distance 0, so the row is [i, its nearest UMAP_NEIGHBOURS − 1].
 * `onFrame` gets the layout at most every FRAME_MS and at the end; the epoch count is umap-js's
 * (500 below 10,000 points, else 200, as umap-learn).
 */
export async function umapLayout(
  g: KnnGraph,
  seed: number,
  onFrame: (coords: Float32Array, epoch: number, epochs: number) => void,
  cancelled: () => boolean,
): Promise<Float32Array> {
  const m = Math.min(UMAP_NEIGHBOURS - 1, g.k);
  if (g.n <= m + 1) throw new Error(`UMAP needs more than ${m + 1} images, got ${g.n}`);
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < g.n; i++) {
    const row = [i];
    const dist = [0];
    for (let j = 0; j < m; j++) {
      row.push(g.indices[i * g.k + j]);
      dist.push(Math.max(0, 1 - g.sims[i * g.k + j]));
    }
    indices.push(row);
    distances.push(dist);
  }
  const umap = new UMAP({ nNeighbors: m + 1, minDist: 0.1, random: mulberry32(seed ^ 0x5a17) });
  umap.setPrecomputedKNN(indices, distances);
  // With the graph given, umap-js reads only the number of points from X.
  const epochs = umap.initializeFit(Array.from({ length: g.n }, () => [] as number[]));
  const frame = () => Float32Array.from(umap.getEmbedding().flat());
  let last = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    umap.step();
    if (performance.now() - last > FRAME_MS) {
      onFrame(frame(), epoch + 1, epochs);
      await nextTask(); // Cancel and other calls get in between frames
      if (cancelled()) throw new Error('map cancelled');
      last = performance.now();
    }
  }
  const coords = frame();
  onFrame(coords, epochs, epochs);
  return coords;
}
