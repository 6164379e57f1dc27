// The embeddings panel's calls: map the dataset, lay it out, search, curate, cluster, name and
// export. Module level, writing the store, as the other actions (src/eval/actions.ts).
import type { EmbeddingSet, MapWhich } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, worker } from '../bridge';
import { download } from '../checkpoint/actions';
import { refreshStoredDatasets } from '../dataset/actions';
import { useStore } from '../store';
import { draftLabels } from './labels';
import { emptyEmbed, type EmbedState } from './slice';

const store = useStore.getState;
const patch = (p: Partial<EmbedState>) => store().setEmbed(p);

/** Defaults of the curation (the panel's inputs start here). */
export const CURATION_DEFAULTS = { k: 20, outlierK: 50, duplicateThreshold: 0.85, outliers: 40, suspects: 80 };

export async function planEmbedding(): Promise<void> {
  try {
    patch({ plan: await worker().embeddingPlan(store().config) });
  } catch {
    patch({ plan: null }); // no weights yet: the button says why
  }
}

export async function mapDataset(): Promise<void> {
  const { config, embed } = store();
  clearThumbs();
  patch({
    ...emptyEmbed,
    withRandom: embed.withRandom,
    plan: embed.plan,
    status: 'running',
    progress: { done: 0, total: 1, startedMs: performance.now() },
  });
  const onProgress = callback((done: number, total: number, phase: string) => {
    const p = store().embed.progress;
    patch({ progress: { done, total, phase, startedMs: p && p.phase === phase ? p.startedMs : performance.now() } });
  });
  try {
    const set = await worker().embedAll(config, embed.withRandom, onProgress);
    patch({ status: 'done', set, progress: null, colorBy: set.classes.length ? 'class' : 'split' });
    // The map is mounted and drawn first: the curation's k-NN graph then keeps the worker's threads
    // (every core on WASM) busy, which on a small machine slows the page's own mounting.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    await curate(CURATION_DEFAULTS);
  } catch (e) {
    patch({ status: 'failed', error: errorMessage(e), progress: null });
  }
}

/** Lays both maps out by UMAP, the trained one first; frames arrive as the layouts settle. */
export async function runUmap(): Promise<void> {
  const set = store().embed.set;
  if (!set) return;
  patch({ method: 'umap', umap: { ...store().embed.umap, settling: true } });
  const which: MapWhich[] = set.pca.random ? ['trained', 'random'] : ['trained'];
  try {
    for (const w of which) {
      if (store().embed.umap[w]) continue;
      const onFrame = callback((coords: Float32Array, epoch: number, epochs: number) => {
        if (store().embed.set !== set) return;
        patch({ umap: { ...store().embed.umap, [w]: coords, epoch, epochs } });
      });
      const coords = await worker().umapLayout(w, onFrame);
      if (store().embed.set !== set) return;
      patch({ umap: { ...store().embed.umap, [w]: coords } });
    }
    patch({ umap: { ...store().embed.umap, settling: false } });
  } catch (e) {
    patch({ error: `UMAP: ${errorMessage(e)}`, umap: { ...store().embed.umap, settling: false } });
  }
}

async function task<T>(name: string, f: () => Promise<T>): Promise<T | null> {
  patch({ busy: name, error: null });
  try {
    return await f();
  } catch (e) {
    patch({ error: `${name}: ${errorMessage(e)}` });
    return null;
  } finally {
    patch({ busy: null });
  }
}

export async function curate(options: typeof CURATION_DEFAULTS): Promise<void> {
  const onProgress = callback((done: number, total: number, phase: string) => {
    patch({ progress: { done, total, phase, startedMs: store().embed.progress?.startedMs ?? performance.now() } });
  });
  const curation = await task('duplicates, outliers and label suspects', () => worker().curate(options, onProgress));
  patch({ progress: null });
  if (curation) patch({ curation });
}

export async function findSimilar(indices: number[], k = 16): Promise<void> {
  if (indices.length === 0) return;
  const r = await task('similar images', () => worker().similar(indices, k, 'trained'));
  if (r) patch({ neighbours: { of: indices, ...r } });
}

/** The 16 images most similar to a new image the user gives. */
export async function findSimilarToFile(file: File, k = 16): Promise<void> {
  const r = await task('similar images', () => worker().similarToFile(file, store().config, k));
  if (r) patch({ neighbours: { of: [], file: r.name, indices: r.indices, sims: r.sims } });
}

export async function runClusters(k: number): Promise<void> {
  const clusters = await task('k-means', () => worker().clusters(k, store().config.seed));
  if (clusters) patch({ clusters, clusterNames: clusters.sizes.map((_, i) => `cluster ${i + 1}`), colorBy: 'cluster' });
}

export async function suggestClusters(): Promise<void> {
  const ks = Array.from({ length: 14 }, (_, i) => i + 2);
  const suggestion = await task('silhouette for k = 2 to 15', () =>
    worker().suggestClusters(
      ks,
      callback(() => {}),
    ),
  );
  if (suggestion) patch({ suggestion });
}

export async function diverseSubset(m: number): Promise<void> {
  const r = await task('diverse subset', () => worker().diverseSubset(m));
  if (r) patch({ diverse: r.picked, selection: r.picked });
}

export const select = (selection: number[]) => patch({ selection });

export function nameSelection(name: string): void {
  const label = name.trim();
  if (!label) return;
  const named = { ...store().embed.named };
  for (const i of store().embed.selection) named[i] = label;
  patch({ named });
}

export function renameCluster(k: number, name: string): void {
  const clusterNames = store().embed.clusterNames.slice();
  clusterNames[k] = name;
  patch({ clusterNames });
}

/** Makes the draft labels the dataset's (stored with it), so k-NN, the probe and the online curve can run. */
export async function applyLabels(): Promise<void> {
  const e = store().embed;
  const labels = draftLabels(e);
  const missing = labels.filter((l) => l === null).length;
  if (missing) {
    patch({ error: `${missing} images have no label yet: run k-means, or name more selections` });
    return;
  }
  const { testFraction, seed } = store().config;
  const summary = await task('applying the labels', () => worker().applyLabels(labels as string[], testFraction, seed));
  if (!summary) return;
  store().setDataset(summary);
  void refreshStoredDatasets();
  const set = store().embed.set!;
  const names = summary.classes.map((c) => c.name);
  const index = new Map(names.map((c, i) => [c, i]));
  patch({
    set: { ...set, classes: names, labels: Int32Array.from(labels as string[], (l) => index.get(l)!) },
    named: {},
    colorBy: 'class',
  });
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const save = (name: string, text: string, mime: string) => download({ name, mime, bytes: new TextEncoder().encode(text) });

/** file,label for every image (the draft: what Apply would store). */
export function exportLabels(): void {
  const e = store().embed;
  if (!e.set) return;
  const labels = draftLabels(e);
  const lines = ['file,label', ...e.set.names.map((n, i) => `${csvField(n)},${csvField(labels[i] ?? '')}`)];
  save('labels.csv', `${lines.join('\n')}\n`, 'text/csv');
}

/** Every finding of the curation as one CSV: kind (exact, near, outlier, suspect), its group or
 *  rank, the file, its label, a score (similarity, outlier score, vote confidence), a note. */
export function exportCuration(): void {
  const { set, curation: c } = store().embed;
  if (!set || !c) return;
  const label = (i: number) => (set.labels[i] >= 0 ? set.classes[set.labels[i]] : '');
  const rows: (string | number)[][] = [['kind', 'group', 'file', 'label', 'score', 'note']];
  c.exact.forEach((g, k) => {
    for (const i of g) rows.push(['exact', k + 1, set.names[i], label(i), 1, 'identical pixels']);
  });
  c.near.forEach((g, k) => {
    for (const i of g.members)
      rows.push(['near', k + 1, set.names[i], label(i), g.maxSim.toFixed(4), `linked at cosine ${g.minSim.toFixed(4)} or more`]);
  });
  c.outliers.forEach((i, r) =>
    rows.push(['outlier', r + 1, set.names[i], label(i), c.outlierScores[i].toFixed(4), `mean distance to ${c.k} nearest`]),
  );
  c.suspects.forEach((s, r) =>
    rows.push([
      'suspect',
      r + 1,
      set.names[s.index],
      label(s.index),
      s.confidence.toFixed(4),
      `neighbours say ${set.classes[s.suggested]}`,
    ]),
  );
  save('curation.csv', `${rows.map((r) => r.map((v) => csvField(String(v))).join(',')).join('\n')}\n`, 'text/csv');
}

/** The trained map as drawn (its layout now: PCA, or UMAP once asked), one row per image: file,
 *  split, label, cluster, outlier score, x, y. For plotting elsewhere. */
export function exportMap(): void {
  const e = store().embed;
  const set = e.set;
  if (!set) return;
  const xy = (e.method === 'umap' && e.umap.trained) || set.pca.trained;
  const labels = draftLabels(e);
  const lines = ['file,split,label,cluster,outlier,x,y'];
  for (let i = 0; i < set.count; i++)
    lines.push(
      [
        csvField(set.names[i]),
        set.split[i] ? 'test' : 'train',
        csvField(labels[i] ?? ''),
        e.clusters ? e.clusters.assign[i] + 1 : '',
        e.curation ? e.curation.outlierScores[i].toFixed(4) : '',
        xy[2 * i],
        xy[2 * i + 1],
      ].join(','),
    );
  save(`map-${e.method}.csv`, `${lines.join('\n')}\n`, 'text/csv');
}

export function exportSelection(format: 'csv' | 'json'): void {
  const e = store().embed;
  if (!e.set) return;
  const files = e.selection.map((i) => e.set!.names[i]);
  if (format === 'json') save('selection.json', `${JSON.stringify(files, null, 1)}\n`, 'application/json');
  else save('selection.csv', `${['file', ...files.map(csvField)].join('\n')}\n`, 'text/csv');
}

// Thumbnails, fetched from the worker in batches as ImageBitmaps, drawn by the atlas and by small
// canvases (./ThumbGrid.tsx). Nothing here reads pixels back or encodes an image on this thread:
// a canvas's toDataURL waits on the GPU process (about 8 ms a thumbnail under SwiftShader), a Blob
// and its object URL each cross to the browser process, and an <img> given a data URL decodes it
// as its src is set (243 of them held the page for 370 ms).
const thumbs = new Map<number, ImageBitmap>();
const pending = new Set<number>();
let version = 0;
const versionListeners = new Set<(v: number) => void>();

function clearThumbs() {
  for (const t of thumbs.values()) t.close();
  thumbs.clear();
  pending.clear();
}

export const thumbBitmap = (i: number): ImageBitmap | null => thumbs.get(i) ?? null;

export function onThumbs(f: (v: number) => void): () => void {
  versionListeners.add(f);
  return () => versionListeners.delete(f);
}

export async function wantThumbs(indices: number[]): Promise<void> {
  const ask = indices.filter((i) => !thumbs.has(i) && !pending.has(i)).slice(0, 400);
  if (!ask.length) return;
  for (const i of ask) pending.add(i);
  try {
    const { size, images } = await worker().thumbs(ask);
    const bitmaps = await Promise.all(images.map((rgba) => createImageBitmap(new ImageData(new Uint8ClampedArray(rgba), size, size))));
    ask.forEach((i, r) => thumbs.set(i, bitmaps[r]));
    version++;
    for (const f of versionListeners) f(version);
  } finally {
    for (const i of ask) pending.delete(i);
  }
}

export { draftLabels };

export const embedSetName = (s: EmbeddingSet) => `${s.name}${s.snapshot ? ' (a snapshot while training)' : ''}`;
