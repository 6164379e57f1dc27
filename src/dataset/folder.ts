// Getting a folder's files on the UI thread, without reading them: from <input webkitdirectory>
// (webkitRelativePath) or from a drop (webkitGetAsEntry, walked recursively). File objects go to
// the worker as they are; decoding happens there.
import type { IngestFile } from '../../workers/contract/api';

/** The input's files, copied out of its FileList (which clearing the input empties) without
 *  reading any: a few ms for 5,000. Their paths are read as they are handed to the worker. */
export const filesFromInput = (list: FileList): File[] => Array.from(list);

export const ingestFileOf = (file: File): IngestFile => ({ path: file.webkitRelativePath || file.name, file });

/** readEntries returns at most 100 entries per call: call until it returns none. */
function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) return resolve(all);
        all.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: IngestFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, file });
    return;
  }
  const children = await readAll(entry as FileSystemDirectoryEntry);
  if (children.length === 0) out.push({ path: `${path}/`, file: null });
  for (const child of children) await walk(child, out);
}

export async function filesFromDrop(items: DataTransferItemList): Promise<IngestFile[]> {
  // Entries must be taken synchronously, before the first await: the list is emptied after.
  const entries = Array.from(items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const out: IngestFile[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}
