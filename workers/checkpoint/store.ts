// Checkpoints in IndexedDB (idb-keyval's store, a database of their own). A run record points at
// its checkpoints. A checkpoint, its run record and the pruning of old checkpoints are written in
// one transaction: a crash, a full disk or a second tab writing the same run never leaves a
// checkpoint without its run, a run pointing at nothing, or a write based on a stale record.
import { createStore, get, keys } from 'idb-keyval';
import type { CheckpointInfo, EvalReport, RunRecord } from '../contract/api';
import type { Checkpoint, CheckpointMeta } from './record';

/** Reads and writes inside one transaction. Await nothing but these reads inside it (IndexedDB
 *  commits a transaction as soon as it has no request pending). */
export interface KvTx {
  get<T>(key: string): Promise<T | undefined>;
  keys(): Promise<string[]>;
  set(key: string, value: unknown): void;
  del(key: string): void;
}

/** The part of IndexedDB used here, so tests can run against a Map. */
export interface Kv {
  get<T>(key: string): Promise<T | undefined>;
  keys(): Promise<string[]>;
  /** Runs `fn` in one readwrite transaction: its reads see one state, its writes land all or none. */
  transaction<R>(fn: (tx: KvTx) => Promise<R>): Promise<R>;
}

const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

let idb: Kv | null = null;
/** The browser's store; created on first use (Node has no IndexedDB). */
export function browserKv(): Kv {
  if (!idb) {
    const db = createStore('vicreg-studio-checkpoints', 'checkpoints');
    idb = {
      get: (k) => get(k, db),
      keys: async () => (await keys(db)).map(String),
      transaction: <R>(fn: (tx: KvTx) => Promise<R>) => db('readwrite', (store) => new Promise<R>((resolve, reject) => {
        const tx = store.transaction;
        let result: R;
        tx.oncomplete = () => resolve(result);
        tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
        fn({
          get: <T>(k: string) => request(store.get(k)) as Promise<T | undefined>,
          keys: async () => (await request(store.getAllKeys())).map(String),
          set: (k, v) => void store.put(v, k),
          del: (k) => void store.delete(k),
        }).then((r) => void (result = r), (e: unknown) => {
          reject(e);
          try {
            tx.abort();
          } catch {
            // already finished
          }
        });
      })),
    };
  }
  return idb;
}

/** Why a write failed, for the user: a full disk is told apart from everything else. */
export class CheckpointWriteError extends Error {
  constructor(message: string, readonly quota: boolean) {
    super(message);
  }
}

const runKey = (runId: string) => `run:${runId}`;
// Unique per write, so a second checkpoint at the same step never overwrites the first in place.
const checkpointKey = (runId: string, step: number, at: number) => `ckpt:${runId}:${String(step).padStart(9, '0')}:${at}`;

export const checkpointBytes = (c: Checkpoint) => c.data.byteLength + JSON.stringify(c.meta).length;

function isQuotaError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
}

/**
 * Writes `c`, points its run at it and prunes the run to its newest `keep` checkpoints, in one
 * transaction. On failure nothing stored changes, and the error says what to free.
 */
export async function saveCheckpoint(kv: Kv, c: Checkpoint, keep: number, readMs = 0): Promise<{ info: CheckpointInfo; run: RunRecord }> {
  const m = c.meta;
  const key = checkpointKey(m.runId, m.step, m.createdAt);
  const info: CheckpointInfo = { key, step: m.step, epoch: m.epoch, createdAt: m.createdAt, bytes: checkpointBytes(c), reason: m.reason, last: m.metrics[m.metrics.length - 1] ?? null };
  const t0 = performance.now();
  try {
    const run = await kv.transaction(async (tx) => {
      const previous = await tx.get<RunRecord>(runKey(m.runId));
      const before = previous?.checkpoints ?? [];
      const kept = [...before.filter((x) => x.step !== m.step), info].sort((a, b) => a.step - b.step).slice(-Math.max(1, keep));
      const run: RunRecord = { runId: m.runId, name: m.runName, dataset: m.dataset, config: m.config, totalSteps: m.totalSteps, finished: m.finished, updatedAt: m.createdAt, checkpoints: kept };
      tx.set(key, c);
      tx.set(runKey(m.runId), run);
      for (const old of before) if (!kept.includes(old)) tx.del(old.key);
      return run;
    });
    info.readMs = readMs;
    info.writeMs = performance.now() - t0;
    return { info, run };
  } catch (e) {
    const quota = isQuotaError(e);
    throw new CheckpointWriteError(
      quota
        ? `the checkpoint at step ${m.step} (${(info.bytes / 1e6).toFixed(1)} MB) did not fit in the browser's storage; the older checkpoints are kept and training goes on. Delete old runs or stored datasets to make room.`
        : `the checkpoint at step ${m.step} could not be written (${e instanceof Error ? e.message : String(e)}); the older checkpoints are kept and training goes on.`,
      quota,
    );
  }
}

export async function listRuns(kv: Kv): Promise<RunRecord[]> {
  const runKeys = (await kv.keys()).filter((k) => k.startsWith('run:'));
  const runs = await Promise.all(runKeys.map((k) => kv.get<RunRecord>(k)));
  return runs.filter((r): r is RunRecord => !!r && r.checkpoints.length > 0).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** The checkpoint of `runId` at `step`, or its latest when step is omitted. */
export async function loadCheckpoint(kv: Kv, runId: string, step?: number): Promise<Checkpoint> {
  const run = await kv.get<RunRecord>(runKey(runId));
  if (!run || run.checkpoints.length === 0) throw new Error(`no stored run ${runId}; it may have been deleted`);
  const info = step === undefined ? run.checkpoints[run.checkpoints.length - 1] : run.checkpoints.find((c) => c.step === step);
  if (!info) throw new Error(`run "${run.name}" has no checkpoint at step ${step}; kept: ${run.checkpoints.map((c) => c.step).join(', ')}`);
  const c = await kv.get<Checkpoint>(info.key);
  if (!c) throw new Error(`the checkpoint of "${run.name}" at step ${info.step} is missing from storage; choose another one`);
  return c;
}

/** Removes one checkpoint (the run goes when its last one does), or the whole run. */
export async function deleteCheckpoint(kv: Kv, runId: string, step?: number): Promise<void> {
  await kv.transaction(async (tx) => {
    const run = await tx.get<RunRecord>(runKey(runId));
    if (!run) return;
    const gone = step === undefined ? run.checkpoints : run.checkpoints.filter((c) => c.step === step);
    const left = run.checkpoints.filter((c) => !gone.includes(c));
    if (left.length) tx.set(runKey(runId), { ...run, checkpoints: left });
    else tx.del(runKey(runId));
    for (const c of gone) tx.del(c.key);
  });
}

/** Keeps an evaluation's top-1 figures with the checkpoint of those weights, when one is stored. */
export async function recordResults(kv: Kv, runId: string, step: number, report: EvalReport): Promise<RunRecord | null> {
  return kv.transaction(async (tx) => {
    const run = await tx.get<RunRecord>(runKey(runId));
    const info = run?.checkpoints.find((c) => c.step === step);
    if (!run || !info) return null;
    const top1 = Object.fromEntries(report.rows.map((r) => [r.name, r.top1]));
    info.results = { ...info.results, [report.kind]: { featLayer: report.featLayer, featPool: report.featPool, top1 } };
    tx.set(runKey(runId), run);
    return run;
  });
}

/**
 * Deletes checkpoints that no run points at (left by versions that wrote the two apart), in one
 * transaction with the reading of the runs, so a checkpoint another tab is writing is never
 * taken for one. Returns how many went.
 */
export async function removeOrphans(kv: Kv): Promise<number> {
  return kv.transaction(async (tx) => {
    const all = await tx.keys();
    const runs = await Promise.all(all.filter((k) => k.startsWith('run:')).map((k) => tx.get<RunRecord>(k)));
    const used = new Set(runs.flatMap((r) => (r && Array.isArray(r.checkpoints) ? r.checkpoints.map((c) => c.key) : [])));
    const orphans = all.filter((k) => k.startsWith('ckpt:') && !used.has(k));
    for (const k of orphans) tx.del(k);
    return orphans.length;
  });
}

/** A new key for a run's checkpoints: time-ordered, unique per tab. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export type { CheckpointInfo, CheckpointMeta, RunRecord };
