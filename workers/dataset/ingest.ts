// Folder ingest in the worker: plan (plan.ts), decode each image with createImageBitmap, centre-crop
// and resize it on an OffscreenCanvas to the stored size, keep RGB bytes, then store the dataset in
// IndexedDB. Bad files are skipped and listed, never fatal; Cancel is checked between files.
import type { DatasetSummary, IngestFile, IngestProgress, SkippedFile } from '../contract/api';
import { fromPixels, type Dataset } from './dataset';
import { HEADER_BYTES, imageHeader } from './header';
import { ingestBudget, planIngest, storedSize } from './plan';
import { saveDataset } from './dataset-db';
import { errorMessage } from '../contract/errors';
import { findDuplicates } from './duplicates';
import { TAIL_BYTES, undecodableReason } from './undecodable';

/** Decoding runs this many files at once: createImageBitmap decodes off the worker's JS thread. */
const CONCURRENCY = 4;
/** Images that decode to more pixels than this are refused (a decoded 100 MP image is 400 MB). */
const MAX_PIXELS = 100e6;
/** The stored size is chosen from the shorter sides of the first images decoded. */
const SIZE_SAMPLE = 16;
/** Transparent pixels are composited on mid-gray, neither black nor white. */
const BACKGROUND = 'rgb(128, 128, 128)';

export class IngestCancelled extends Error {
  constructor() {
    super('ingest cancelled; nothing was stored');
  }
}

/** SHA-256 of the sorted "path|size|lastModified" lines: the same folder gives the same id. */
export async function datasetId(files: IngestFile[]): Promise<string> {
  const lines = files
    .map((f) => `${f.path}|${f.file?.size ?? -1}|${f.file?.lastModified ?? 0}`)
    .sort()
    .join('\n');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(lines));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Centre crop to a square, resize to size × size, RGB bytes. */
function toRgb(bitmap: ImageBitmap, size: number, ctx: OffscreenCanvasRenderingContext2D): Uint8Array {
  const side = Math.min(bitmap.width, bitmap.height);
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const rgb = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    rgb[3 * p] = rgba[4 * p];
    rgb[3 * p + 1] = rgba[4 * p + 1];
    rgb[3 * p + 2] = rgba[4 * p + 2];
  }
  return rgb;
}

const overLimit = (width: number, height: number) => `${width}×${height} pixels is over the ${MAX_PIXELS / 1e6} megapixel limit`;

async function decode(file: File, path: string): Promise<ImageBitmap> {
  // The size its header declares, before a byte is decoded (./header.ts).
  const head = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
  const header = imageHeader(head);
  if (header && header.width * header.height > MAX_PIXELS)
    throw new Error(`${overLimit(header.width, header.height)} (read from its ${header.format.toUpperCase()} header; not decoded)`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    const tail = new Uint8Array(await file.slice(Math.max(0, file.size - TAIL_BYTES)).arrayBuffer());
    throw new Error(undecodableReason(e, path, head, tail, file.size));
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    const { width, height } = bitmap;
    bitmap.close();
    throw new Error(overLimit(width, height));
  }
  return bitmap;
}

/** Images to classify, at most this many per call (each is embedded and compared with the training split). */
export const MAX_INFER_IMAGES = 64;

/**
 * Each file decoded as ingest does (its header's size checked first, then centre-cropped and
 * resized to size × size RGB), or the reason it could not be, as ingest would give it.
 */
export async function decodeImages(files: File[], size: number): Promise<{ names: string[]; rgb: Uint8Array[]; skipped: SkippedFile[] }> {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const out = { names: [] as string[], rgb: [] as Uint8Array[], skipped: [] as SkippedFile[] };
  const plan = planIngest(files.map((f) => ({ path: f.name, size: f.size })));
  const reasons = new Map(plan.skipped.map((s) => [s.path, s.reason]));
  for (const f of files) {
    const refused = reasons.get(f.name);
    if (refused) {
      out.skipped.push({ path: f.name, reason: refused });
      continue;
    }
    try {
      const bitmap = await decode(f, f.name);
      out.rgb.push(toRgb(bitmap, size, ctx));
      bitmap.close();
      out.names.push(f.name);
    } catch (e) {
      out.skipped.push({ path: f.name, reason: errorMessage(e) });
    }
  }
  return out;
}

export async function ingestFolder(
  files: IngestFile[],
  o: { imageSize: number; testFraction: number; seed: number },
  onProgress: (p: IngestProgress) => void,
  cancelled: () => boolean,
): Promise<Dataset> {
  const plan = planIngest(files.map((f) => ({ path: f.path, size: f.file ? f.file.size : null })));
  const tooMany = ingestBudget(plan.images.length, o.imageSize);
  if (tooMany) throw new Error(tooMany);
  const skipped: SkippedFile[] = [...plan.skipped];
  const total = files.length;
  let done = files.length - plan.images.length; // planned-out files count as looked at
  const progress = () => onProgress({ done, total, accepted: kept.length, skipped: skipped.length });

  // Decode in order with a small window in flight; the stored size is fixed once the first
  // SIZE_SAMPLE images are in, and those wait as bitmaps until then.
  const kept: { path: string; label: number; rgb: Uint8Array | null; bitmap: ImageBitmap | null; width: number; height: number }[] = [];
  let size = 0;
  const canvas = new OffscreenCanvas(1, 1);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const finish = (k: (typeof kept)[number]) => {
    k.rgb = toRgb(k.bitmap!, size, ctx);
    k.bitmap!.close();
    k.bitmap = null;
  };
  const fixSize = () => {
    size = storedSize(
      kept.map((k) => Math.min(k.width, k.height)),
      o.imageSize,
    );
    canvas.width = canvas.height = size;
    kept.forEach((k) => k.bitmap && finish(k));
  };
  let lastReport = 0;
  try {
    for (let start = 0; start < plan.images.length; start += CONCURRENCY) {
      if (cancelled()) throw new IngestCancelled();
      const group = plan.images.slice(start, start + CONCURRENCY);
      const results = await Promise.allSettled(group.map((img) => decode(files[img.index].file!, img.path)));
      results.forEach((r, k) => {
        done++;
        if (r.status === 'rejected') return skipped.push({ path: group[k].path, reason: (r.reason as Error).message });
        const entry = {
          path: group[k].path,
          label: group[k].label,
          rgb: null,
          bitmap: r.value,
          width: r.value.width,
          height: r.value.height,
        };
        kept.push(entry);
        if (size) finish(entry);
        else if (kept.length === SIZE_SAMPLE) fixSize();
      });
      if (performance.now() - lastReport > 100) {
        progress();
        lastReport = performance.now();
      }
    }
    if (!size) fixSize();
  } catch (e) {
    kept.forEach((k) => k.bitmap?.close());
    throw e;
  }
  progress();
  if (kept.length < 2) {
    throw new Error(
      `only ${kept.length} of ${total} files could be used as images (${skipped.length} skipped); VICReg needs at least 2, and a batch of 64 needs 64. Add images or check the skipped list.`,
    );
  }

  const perImage = size * size * 3;
  const pixels = new Uint8Array(kept.length * perImage);
  kept.forEach((k, i) => pixels.set(k.rgb!, i * perImage));
  const labels = Int32Array.from(kept, (k) => k.label);
  const sizeRange = {
    minWidth: Math.min(...kept.map((k) => k.width)),
    minHeight: Math.min(...kept.map((k) => k.height)),
    maxWidth: Math.max(...kept.map((k) => k.width)),
    maxHeight: Math.max(...kept.map((k) => k.height)),
  };
  const paths = kept.map((k) => k.path);
  const duplicates = findDuplicates(kept.length, (i) => pixels.subarray(i * perImage, (i + 1) * perImage), labels, paths, plan.classes);
  const id = `folder:${await datasetId(files)}`;
  const source = plan.unlabeled
    ? `Unlabeled: ${plan.unlabeledReason}. Training works; Probe and k-NN need class subfolders.`
    : `Folder "${plan.name}", classes from its subfolders`;
  let stored: Partial<DatasetSummary>;
  try {
    const bytes = await saveDataset(
      {
        id,
        name: plan.name,
        count: kept.length,
        classes: plan.classes.length,
        size,
        createdAt: Date.now(),
        classNames: plan.classes,
        labels,
        skipped,
        sizeRange,
        paths,
      },
      pixels,
    );
    stored = { storedBytes: bytes };
  } catch (e) {
    const why =
      e instanceof DOMException && e.name === 'QuotaExceededError'
        ? 'the browser storage is full; delete stored datasets or checkpoints to keep it after a reload'
        : `storing failed (${errorMessage(e)})`;
    stored = { notStored: why };
  }
  const dataset = fromPixels(
    pixels,
    { count: kept.length, height: size, width: size, channels: 3 },
    labels,
    plan.classes,
    { id, name: plan.name, source, testFraction: o.testFraction, seed: o.seed },
    { skipped, sizeRange, duplicates, ...stored },
  );
  return { ...dataset, paths };
}
