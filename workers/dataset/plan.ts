// Which files of a dropped or chosen folder become images, with which class, and which are left
// out and why. Pure: it sees paths and sizes only, so it runs (and is tested) without a browser.
import type { SkippedFile } from '../contract/api';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'avif'];
/** Larger files are refused before decoding: a 50 MB image is a photo scan, not a dataset item. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

export interface PlannedImage {
  index: number; // into the input list
  path: string;
  label: number; // into classes; 0 when unlabeled
}

export interface IngestPlan {
  name: string; // the root folder's name
  classes: string[]; // sorted; empty when unlabeled
  unlabeled: boolean;
  /** Why the dataset is unlabeled, in words for the UI. */
  unlabeledReason?: string;
  images: PlannedImage[];
  skipped: SkippedFile[];
}

export function planIngest(files: { path: string; size: number | null }[]): IngestPlan {
  const split = files.map((f) => f.path.split('/').filter(Boolean));
  // A common first segment is the chosen folder itself (webkitRelativePath starts with it).
  const first = split[0]?.[0];
  const rooted = split.length > 0 && split.every((s) => s.length >= 2 && s[0] === first);
  const rel = split.map((s) => (rooted ? s.slice(1) : s));
  const skipped: SkippedFile[] = [];
  const candidates: { index: number; path: string; folder: string | null }[] = [];
  const folders = new Set<string>();

  files.forEach((f, index) => {
    const parts = rel[index];
    const folder = parts.length >= 2 ? parts[0] : null;
    if (folder !== null) folders.add(folder);
    const name = parts[parts.length - 1] ?? f.path;
    if (f.size === null) return skipped.push({ path: f.path, reason: 'empty folder' });
    if (parts.some((p) => p.startsWith('.') || p === '__MACOSX')) return skipped.push({ path: f.path, reason: 'hidden file' });
    const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
    if (!IMAGE_EXTENSIONS.includes(ext)) {
      return skipped.push({
        path: f.path,
        reason: `not an image (${ext ? `.${ext}` : 'no extension'}; expected ${IMAGE_EXTENSIONS.join(', ')})`,
      });
    }
    if (f.size === 0) return skipped.push({ path: f.path, reason: 'empty file (0 bytes)' });
    if (f.size > MAX_FILE_BYTES)
      return skipped.push({
        path: f.path,
        reason: `file of ${(f.size / 2 ** 20).toFixed(0)} MB is over the ${MAX_FILE_BYTES / 2 ** 20} MB limit`,
      });
    candidates.push({ index, path: f.path, folder });
  });

  const classFolders = [...new Set(candidates.map((c) => c.folder).filter((x): x is string => x !== null))].sort();
  for (const folder of [...folders].sort()) {
    if (
      !classFolders.includes(folder) &&
      !skipped.some((s) => s.reason === 'empty folder' && s.path.split('/').filter(Boolean).includes(folder))
    ) {
      skipped.push({ path: rooted ? `${first}/${folder}/` : `${folder}/`, reason: 'folder has no usable images' });
    }
  }
  const atRoot = candidates.filter((c) => c.folder === null).length;
  let unlabeledReason: string | undefined;
  if (atRoot > 0) unlabeledReason = `${atRoot} image${atRoot === 1 ? ' is' : 's are'} directly in the folder, not in class subfolders`;
  else if (classFolders.length < 2)
    unlabeledReason = classFolders.length === 1 ? 'there is only one class subfolder' : 'there are no class subfolders';
  const unlabeled = unlabeledReason !== undefined;
  const classes = unlabeled ? [] : classFolders;
  return {
    name: rooted ? first! : 'dropped files',
    classes,
    unlabeled,
    unlabeledReason,
    images: candidates.map((c) => ({ index: c.index, path: c.path, label: unlabeled ? 0 : classes.indexOf(c.folder!) })),
    skipped,
  };
}

/** Stored side: the typical image's shorter side, kept between imageSize and 2·imageSize (≤ 128). */
export function storedSize(shorterSides: number[], imageSize: number): number {
  const sorted = [...shorterSides].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : imageSize;
  return Math.max(imageSize, Math.min(median, 2 * imageSize, 128));
}

/** The stored pixels of a dataset are held in memory (and in IndexedDB): at most this many bytes. */
export const MAX_DATASET_BYTES = 1 << 30;

/**
 * Null when `count` images fit MAX_DATASET_BYTES at the largest size storedSize can choose for
 * `imageSize`; else what is wrong and what to change, before a file is decoded.
 */
export function ingestBudget(count: number, imageSize: number): string | null {
  const side = storedSize([Infinity], imageSize);
  const bytes = count * side * side * 3;
  if (bytes <= MAX_DATASET_BYTES) return null;
  const fit = Math.floor(MAX_DATASET_BYTES / (side * side * 3));
  return `${count} images stored at up to ${side}×${side} px would take ${(bytes / 2 ** 30).toFixed(1)} GiB, over the ${MAX_DATASET_BYTES / 2 ** 30} GiB a dataset may hold here: use at most ${fit} images (a subset of the folder), or a smaller imageSize`;
}
