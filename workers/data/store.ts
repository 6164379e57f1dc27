// Datasets in IndexedDB (idb-keyval): one meta record per dataset, listed without its pixels, and
// its pixels in chunks of CHUNK images, so no single value is hundreds of megabytes. The meta
// record is written last, so a dataset whose write failed half-way is never listed.
import { createStore, del, delMany, entries, get, set } from 'idb-keyval';
import type { SkippedFile, StoredDataset } from '../contract/api';

const db = createStore('vicreg-studio', 'datasets');
const CHUNK = 512;

export interface StoredMeta extends StoredDataset {
  classNames: string[];
  labels: Int32Array;
  skipped: SkippedFile[];
  sizeRange: { minWidth: number; minHeight: number; maxWidth: number; maxHeight: number };
  paths?: string[]; // absent in datasets stored before paths were kept
  chunks: number;
}

const metaKey = (id: string) => `meta:${id}`;
const chunkKey = (id: string, k: number) => `pixels:${id}:${k}`;

/** Writes pixels [N, S, S, 3] and then the meta record; on failure removes what was written. */
export async function saveDataset(meta: Omit<StoredMeta, 'chunks' | 'bytes'>, pixels: Uint8Array): Promise<number> {
  const perImage = meta.size * meta.size * 3;
  const chunks = Math.ceil(meta.count / CHUNK);
  try {
    for (let k = 0; k < chunks; k++) {
      await set(chunkKey(meta.id, k), pixels.slice(k * CHUNK * perImage, Math.min((k + 1) * CHUNK, meta.count) * perImage), db);
    }
    const bytes = pixels.length + meta.labels.byteLength;
    await set(metaKey(meta.id), { ...meta, chunks, bytes }, db);
    return bytes;
  } catch (e) {
    await delMany(Array.from({ length: chunks }, (_, k) => chunkKey(meta.id, k)), db).catch(() => {});
    throw e;
  }
}

export async function listDatasets(): Promise<StoredDataset[]> {
  const all = await entries<string, StoredMeta>(db);
  return all
    .filter(([k]) => String(k).startsWith('meta:'))
    .map(([, m]) => ({ id: m.id, name: m.name, count: m.count, classes: m.classes, size: m.size, bytes: m.bytes, createdAt: m.createdAt }))
    .sort((a, b) => b.createdAt - a.createdAt);
}

export async function loadDataset(id: string): Promise<{ meta: StoredMeta; pixels: Uint8Array } | null> {
  const meta = await get<StoredMeta>(metaKey(id), db);
  if (!meta) return null;
  const pixels = new Uint8Array(meta.count * meta.size * meta.size * 3);
  let at = 0;
  for (let k = 0; k < meta.chunks; k++) {
    const chunk = await get<Uint8Array>(chunkKey(id, k), db);
    if (!chunk) throw new Error(`stored dataset ${meta.name} is incomplete (part ${k + 1} of ${meta.chunks} is missing); delete it and add the folder again`);
    pixels.set(chunk, at);
    at += chunk.length;
  }
  return { meta, pixels };
}

export async function deleteDataset(id: string): Promise<void> {
  const meta = await get<StoredMeta>(metaKey(id), db);
  await del(metaKey(id), db); // unlisted first: a half-deleted dataset is never offered
  if (meta) await delMany(Array.from({ length: meta.chunks }, (_, k) => chunkKey(id, k)), db);
}
