// Checkpoints in IndexedDB (idb-keyval's store, a database of their own). A run record points at
// its checkpoints. A checkpoint, its run record and the pruning of old checkpoints are written in
// one transaction: a crash, a full disk or a second tab writing the same run never leaves a
// checkpoint without its run, a run pointing at nothing, or a write based on a stale record.
import { createStore, get, keys } from 'idb-keyval';
import * as v from 'valibot';
import type { CheckpointInfo, DamagedRun, EvalReport, RunRecord, StoredRuns } from '../contract/api';
import { parseOrThrow, runRecordSchema } from '../contract/records';
import type { Checkpoint, CheckpointMeta } from './record';
import { probeKey, probeOwner } from './probe-store';
import { errorMessage } from '../contract/errors';

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

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
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
      transaction: <R>(fn: (tx: KvTx) => Promise<R>) =>
        db(
          'readwrite',
          (store) =>
            new Promise<R>((resolve, reject) => {
              const tx = store.transaction;
              let result: R;
              tx.oncomplete = () => resolve(result);
              tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
              fn({
                get: <T>(k: string) => request(store.get(k)) as Promise<T | undefined>,
                keys: async () => (await request(store.getAllKeys())).map(String),
                set: (k, v) => void store.put(v, k),
                del: (k) => void store.delete(k),
              }).then(
                (r) => void (result = r),
                (e: unknown) => {
                  reject(e);
                  try {
                    tx.abort();
                  } catch {
                    // already finished
                  }
                },
              );
            }),
        ),
    };
  }
  return idb;
}

const runKey = (runId: string) => `run:${runId}`;

/** A checkpoint and the probe heads kept with it (./probe-store.ts) go together. */
function delCheckpoint(tx: KvTx, key: string): void {
  tx.del(key);
  tx.del(probeKey(key));
}

/** A run's record inside a transaction, or undefined when there is none or it fails its schema
 *  (a write then starts the record afresh rather than build on damage). */
async function readRun(tx: KvTx, runId: string): Promise<RunRecord | undefined> {
  const r = v.safeParse(runRecordSchema, await tx.get<unknown>(runKey(runId)));
  return r.success ? r.output : undefined;
}
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
  const info: CheckpointInfo = {
    key,
    step: m.step,
    epoch: m.epoch,
    createdAt: m.createdAt,
    bytes: checkpointBytes(c),
    reason: m.reason,
    last: m.metrics[m.metrics.length - 1] ?? null,
  };
  const t0 = performance.now();
  try {
    const run = await kv.transaction(async (tx) => {
      const previous = await readRun(tx, m.runId);
      const before = previous?.checkpoints ?? [];
      const kept = [...before.filter((x) => x.step !== m.step), info].sort((a, b) => a.step - b.step).slice(-Math.max(1, keep));
      const run: RunRecord = {
        runId: m.runId,
        name: m.runName,
        dataset: m.dataset,
        config: m.config,
        totalSteps: m.totalSteps,
        finished: m.finished,
        updatedAt: m.createdAt,
        checkpoints: kept,
      };
      tx.set(key, c);
      tx.set(runKey(m.runId), run);
      for (const old of before) if (!kept.includes(old)) delCheckpoint(tx, old.key);
      return run;
    });
    info.readMs = readMs;
    info.writeMs = performance.now() - t0;
    return { info, run };
  } catch (e) {
    // Why a write failed, for the user: a full disk is told apart from everything else.
    throw new Error(
      isQuotaError(e)
        ? `the checkpoint at step ${m.step} (${(info.bytes / 1e6).toFixed(1)} MB) did not fit in the browser's storage; the older checkpoints are kept and training goes on. Delete old runs or stored datasets to make room.`
        : `the checkpoint at step ${m.step} could not be written (${errorMessage(e)}); the older checkpoints are kept and training goes on.`,
    );
  }
}

/**
 * Every stored run, newest first. Each record is checked against its schema as it is read
 * (another version or a damaged disk may have written it): one that fails is listed as damaged,
 * with the reason, so it can be deleted while the rest work.
 */
export async function listRuns(kv: Kv): Promise<StoredRuns> {
  const runKeys = (await kv.keys()).filter((k) => k.startsWith('run:'));
  const stored = await Promise.all(runKeys.map(async (k) => [k.slice(4), await kv.get<unknown>(k)] as const));
  const runs: RunRecord[] = [];
  const damaged: DamagedRun[] = [];
  for (const [runId, raw] of stored) {
    if (raw === undefined) continue; // deleted meanwhile
    try {
      const run = parseOrThrow(runRecordSchema, raw, 'the run record is damaged');
      if (run.runId !== runId) throw new Error(`the run record is damaged: it is stored as ${runId} but names itself ${run.runId}`);
      runs.push(run);
    } catch (e) {
      damaged.push({ runId, reason: errorMessage(e) });
    }
  }
  return { runs: runs.sort((a, b) => b.updatedAt - a.updatedAt), damaged };
}

/** The checkpoint of `runId` at `step`, or its latest when step is omitted. */
export async function loadCheckpoint(kv: Kv, runId: string, step?: number): Promise<Checkpoint> {
  // Record and checkpoint read in one transaction: another tab's training cannot prune the
  // checkpoint between the two reads.
  return kv.transaction(async (tx) => {
    const raw = await tx.get<unknown>(runKey(runId));
    if (raw === undefined) throw new Error(`no stored run ${runId}; it may have been deleted`);
    const run = parseOrThrow(runRecordSchema, raw, 'the run record is damaged (delete the run)');
    const info = step === undefined ? run.checkpoints[run.checkpoints.length - 1] : run.checkpoints.find((c) => c.step === step);
    if (!info)
      throw new Error(`run "${run.name}" has no checkpoint at step ${step}; kept: ${run.checkpoints.map((c) => c.step).join(', ')}`);
    const c = await tx.get<Checkpoint>(info.key);
    if (!c) throw new Error(`the checkpoint of "${run.name}" at step ${info.step} is missing from storage; choose another one`);
    return c;
  });
}

/**
 * Removes one checkpoint (the run goes when its last one does), or the whole run: then every
 * checkpoint stored under its id goes too, found by key, so a run whose record is damaged can be
 * deleted whole.
 */
export async function deleteCheckpoint(kv: Kv, runId: string, step?: number): Promise<void> {
  await kv.transaction(async (tx) => {
    if (step === undefined) {
      for (const k of await tx.keys())
        if (k === runKey(runId) || k.startsWith(`ckpt:${runId}:`) || probeOwner(k)?.startsWith(`ckpt:${runId}:`)) tx.del(k);
      return;
    }
    const run = await readRun(tx, runId);
    if (!run) return;
    const gone = run.checkpoints.filter((c) => c.step === step);
    const left = run.checkpoints.filter((c) => !gone.includes(c));
    if (left.length) tx.set(runKey(runId), { ...run, checkpoints: left });
    else tx.del(runKey(runId));
    for (const c of gone) delCheckpoint(tx, c.key);
  });
}

/** Keeps an evaluation's top-1 figures with the checkpoint of those weights, when one is stored. */
export async function recordResults(kv: Kv, runId: string, step: number, report: EvalReport): Promise<RunRecord | null> {
  return kv.transaction(async (tx) => {
    const run = await readRun(tx, runId);
    const info = run?.checkpoints.find((c) => c.step === step);
    if (!run || !info) return null;
    const top1 = Object.fromEntries(report.rows.map((r) => [r.name, r.top1]));
    info.results = {
      ...info.results,
      [report.kind]: { featLayer: report.featLayer, featPool: report.featPool, top1, testCount: report.testCount },
    };
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
    const orphans = all.filter((k) => {
      const owner = probeOwner(k);
      return owner !== null ? !used.has(owner) : k.startsWith('ckpt:') && !used.has(k);
    });
    for (const k of orphans) tx.del(k);
    return orphans.length;
  });
}

/** A new key for a run's checkpoints: time-ordered, unique per tab. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export type { CheckpointInfo, CheckpointMeta, RunRecord };
