// A loaded folder again without its exact copies (./duplicates.ts), stored under an id of its own
// before the old record is deleted: if storing fails, the old dataset stays loaded and stored, and
// nothing is lost.
import type { ConflictChoice } from '../contract/api';
import { errorMessage } from '../contract/errors';
import { fromPixels, type Dataset } from './dataset';
import { deleteDataset, saveDataset } from './dataset-db';
import { findDuplicates, keptIndices } from './duplicates';

/** The duplicate groups of a dataset whose image paths are known (folders; not the sample). */
export function duplicatesOf(d: Pick<Dataset, 'pixels' | 'shape' | 'labels' | 'paths' | 'summary'>) {
  if (!d.paths) return undefined;
  const { count, height, width, channels } = d.shape;
  const per = height * width * channels;
  const names = d.summary.unlabeled ? [] : d.summary.classes.map((c) => c.name);
  return findDuplicates(count, (i) => d.pixels.subarray(i * per, (i + 1) * per), d.labels, d.paths, names);
}

export async function withoutDuplicates(d: Dataset, conflicts: ConflictChoice, testFraction: number, seed: number): Promise<Dataset> {
  const groups = d.summary.duplicates ?? [];
  if (!d.paths || groups.length === 0) throw new Error('this dataset has no exact duplicates to drop');
  const keep = keptIndices(d.paths, groups, conflicts);
  if (keep.length < 2) throw new Error(`only ${keep.length} images would be left; nothing was dropped`);
  const { height, width, channels } = d.shape;
  const per = height * width * channels;
  const pixels = new Uint8Array(keep.length * per);
  keep.forEach((i, k) => pixels.set(d.pixels.subarray(i * per, (i + 1) * per), k * per));
  const labels = Int32Array.from(keep, (i) => d.labels[i]);
  const paths = keep.map((i) => d.paths![i]);
  const classNames = d.summary.unlabeled ? [] : d.summary.classes.map((c) => c.name);
  const { skipped, sizeRange } = d.summary;
  // Its own id, the old one's not followed by ':' (dataset-db.ts deletes a dataset's parts by the
  // prefix "pixels:<id>:"), so that deleting the old record once the new one is complete leaves
  // the new one's parts alone.
  const id = `${d.summary.id.replace(/-unique$/, '')}-unique`;
  let bytes: number;
  try {
    bytes = await saveDataset(
      {
        id,
        name: d.summary.name,
        count: keep.length,
        classes: classNames.length,
        size: height,
        createdAt: Date.now(),
        classNames,
        labels,
        skipped: skipped,
        sizeRange: sizeRange ?? { minWidth: width, minHeight: height, maxWidth: width, maxHeight: height },
        paths,
      },
      pixels,
    );
  } catch (e) {
    throw new Error(`storing the dataset without its duplicates failed (${errorMessage(e)}); nothing was dropped`);
  }
  if (d.summary.id !== id) await deleteDataset(d.summary.id).catch(() => {});
  const next = fromPixels(
    pixels,
    { count: keep.length, height, width, channels },
    labels,
    classNames,
    { id, name: d.summary.name, source: d.summary.source, testFraction, seed },
    { skipped, sizeRange, storedBytes: bytes },
  );
  return { ...next, paths, summary: { ...next.summary, duplicates: duplicatesOf({ ...next, paths }) } };
}
