// Datasets in IndexedDB (idb-keyval): one meta record per dataset, listed without its pixels, and
// its pixels in chunks of CHUNK images, so no single value is hundreds of megabytes. The meta
// record is written last, so a dataset whose write failed half-way is never listed.
import { createStore, del, delMany, entries, get, keys, set } from 'idb-keyval';
import * as v from 'valibot';
import type { SkippedFile, StoredDataset } from '../contract/api';
import { describeIssue, int, parseOrThrow } from '../contract/records';

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
    await delMany(
      Array.from({ length: chunks }, (_, k) => chunkKey(meta.id, k)),
      db,
    ).catch(() => {});
    throw e;
  }
}

const text = (max: number) => v.pipe(v.string(), v.maxLength(max, `is longer than ${max} characters`));
const count = int(0, 1e8);

/** A stored dataset's meta record, checked whenever it is read (another version or a damaged disk
 *  may have written it): every field typed and bounded, labels and paths one per image. */
const storedMetaSchema = v.pipe(
  v.object({
    id: text(200),
    name: text(500),
    count,
    classes: count,
    size: int(1, 4096),
    bytes: int(0, 2 ** 53),
    createdAt: v.pipe(v.number(), v.finite(), v.minValue(0)),
    classNames: v.pipe(v.array(text(500)), v.maxLength(100_000)),
    labels: v.instance(Int32Array, 'is not a list of labels'),
    skipped: v.pipe(v.array(v.object({ path: text(4096), reason: text(1000) })), v.maxLength(1e6)),
    sizeRange: v.object({ minWidth: count, minHeight: count, maxWidth: count, maxHeight: count }),
    paths: v.optional(v.pipe(v.array(text(4096)), v.maxLength(1e8))),
    chunks: count,
  }),
  v.check(
    (m) => m.labels.length === m.count && (m.paths === undefined || m.paths.length === m.count),
    'lists a label or path count that is not its image count',
  ),
  v.check((m) => m.chunks === Math.ceil(m.count / CHUNK), 'has a part count that does not fit its image count'),
  v.check((m) => m.labels.every((l) => l >= 0 && l < Math.max(1, m.classNames.length)), 'has a label outside its classes'),
);

/** Every stored dataset, newest first; one whose record is damaged is listed with the reason, to
 *  be deleted. */
export async function listDatasets(): Promise<StoredDataset[]> {
  const all = await entries<string, unknown>(db);
  return all
    .filter(([k]) => String(k).startsWith('meta:'))
    .map(([k, raw]): StoredDataset => {
      const r = v.safeParse(storedMetaSchema, raw);
      if (r.success) {
        const m = r.output;
        return { id: m.id, name: m.name, count: m.count, classes: m.classes, size: m.size, bytes: m.bytes, createdAt: m.createdAt };
      }
      const id = String(k).slice('meta:'.length);
      return {
        id,
        name: id,
        count: 0,
        classes: 0,
        size: 0,
        bytes: 0,
        createdAt: 0,
        damaged: `the stored record is damaged: ${describeIssue(r.issues[0])}`,
      };
    })
    .sort((a, b) => b.createdAt - a.createdAt);
}

export async function loadDataset(id: string): Promise<{ meta: StoredMeta; pixels: Uint8Array } | null> {
  const raw = await get<unknown>(metaKey(id), db);
  if (raw === undefined) return null;
  const meta: StoredMeta = parseOrThrow(storedMetaSchema, raw, `stored dataset ${id} is damaged (delete it and add the folder again)`);
  const pixels = new Uint8Array(meta.count * meta.size * meta.size * 3);
  let at = 0;
  for (let k = 0; k < meta.chunks; k++) {
    const chunk = await get<Uint8Array>(chunkKey(id, k), db);
    if (!chunk)
      throw new Error(
        `stored dataset ${meta.name} is incomplete (part ${k + 1} of ${meta.chunks} is missing); delete it and add the folder again`,
      );
    pixels.set(chunk, at);
    at += chunk.length;
  }
  return { meta, pixels };
}

/** Gives a stored dataset new classes (labels one per image, each < classNames.length); its pixels stay. */
export async function saveLabels(id: string, classNames: string[], labels: Int32Array): Promise<void> {
  const raw = await get<unknown>(metaKey(id), db);
  if (raw === undefined) throw new Error(`no stored dataset ${id}; it may have been deleted`);
  const meta: StoredMeta = parseOrThrow(storedMetaSchema, raw, `stored dataset ${id} is damaged (delete it and add the folder again)`);
  const next = { ...meta, classNames, classes: classNames.length, labels };
  parseOrThrow(storedMetaSchema, next, 'the new labels do not fit the stored dataset');
  await set(metaKey(id), next, db);
}

export async function deleteDataset(id: string): Promise<void> {
  await del(metaKey(id), db); // unlisted first: a half-deleted dataset is never offered
  // Its parts by key, not by the record's count: a damaged record goes whole too.
  await delMany(
    (await keys(db)).filter((k) => String(k).startsWith(`pixels:${id}:`)),
    db,
  );
}
