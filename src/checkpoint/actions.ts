// The stored runs and their checkpoints: deleting, exporting, importing, the offer to resume,
// and the browser storage they take (listing them, and the notice above them: src/notices.ts).
// Module level, writing the store, as the other actions (src/backend/actions.ts). Resuming a run
// trains: src/train/actions.ts.
import { MAX_IMPORT_BYTES, RUNS_CHANNEL, type ExportFile } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { callback, transfer, worker } from '../bridge';
import { clearNotice, refreshRuns, showNotice } from '../notices';
import { useStore } from '../store';
import { mayOfferResume } from '../store/selectors';

/** The store as it is at the moment of the call (after an await, what changed meanwhile). */
const store = useStore.getState;

export const saveCheckpointNow = () => worker().saveCheckpoint();

/** Other tabs (and this tab's worker) announce changes to the stored runs (workers/checkpoint/tabs.ts). */
export function followStoredRuns(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  new BroadcastChannel(RUNS_CHANNEL).onmessage = () => void refreshRuns();
}

/** On start: offer to resume the newest unfinished run (a reload or a crash mid-run), unless another tab trains it. */
export async function offerResume(): Promise<void> {
  const runs = await refreshRuns();
  const s = store();
  const unfinished = runs.find((r) => !r.finished && !s.openElsewhere.includes(r.runId));
  if (unfinished && mayOfferResume(s)) s.setCheckpoints({ resumeOffer: unfinished });
  void refreshStorage();
}

export async function refreshStorage(): Promise<void> {
  if (!navigator.storage?.estimate) return;
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted?.() ?? false]);
  store().setCheckpoints({ storage: { usage, quota, persisted } });
}

/** Asks the browser not to evict the checkpoints under storage pressure (it may say no). */
export async function requestPersistence(): Promise<void> {
  await navigator.storage?.persist?.().catch(() => false);
  await refreshStorage();
}

export async function deleteCheckpoint(runId: string, step?: number): Promise<void> {
  await worker().deleteCheckpoint(runId, step);
  await refreshRuns();
  void refreshStorage();
}

/** Saves a file (a worker-made one, or text made here) through the browser's download (a worker cannot start one). */
export function download(f: ExportFile) {
  const url = URL.createObjectURL(new Blob([f.bytes as BlobPart], { type: f.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export type ExportKind = 'weights' | 'checkpoint' | 'pytorch' | 'embeddings';

export async function exportRun(kind: ExportKind, runId: string, step: number): Promise<void> {
  store().setCheckpoints({ exporting: { what: `${kind} of step ${step}`, done: 0, total: 0 }, checkpointNotice: null });
  try {
    const w = worker();
    const file =
      kind === 'weights'
        ? await w.exportWeights(runId, step)
        : kind === 'checkpoint'
          ? await w.exportCheckpoint(runId, step)
          : kind === 'pytorch'
            ? await w.exportPytorch(runId, step)
            : await w.exportEmbeddings(
                runId,
                step,
                callback((done: number, total: number) =>
                  store().setCheckpoints({ exporting: { what: `embeddings of step ${step}`, done, total } }),
                ),
              );
    download(file);
  } catch (e) {
    showNotice(`Export failed: ${errorMessage(e)}`);
  } finally {
    store().setCheckpoints({ exporting: null });
  }
}

export async function importCheckpointFile(file: File): Promise<void> {
  clearNotice();
  try {
    if (file.size > MAX_IMPORT_BYTES) {
      throw new Error(
        `the file is ${(file.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_IMPORT_BYTES / 2 ** 20} MiB a checkpoint of the largest recipe needs: it is not a VICReg Studio checkpoint`,
      );
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const run = await worker().importCheckpoint(transfer(bytes, [bytes.buffer]), file.name);
    store().upsertRun(run);
    const last = run.checkpoints[run.checkpoints.length - 1];
    showNotice(`Imported "${run.name}" at step ${last.step} from ${file.name}.`, false);
  } catch (e) {
    showNotice(`${file.name} was not imported: ${errorMessage(e)}`);
  }
  void refreshStorage();
}
