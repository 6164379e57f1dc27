// Checkpoints in IndexedDB (idb-keyval, a database of their own). A run record points at its
// checkpoints; each checkpoint is written under its own key first and the run record is moved to
// it only after that write completed, so a crash or a full disk mid-write never leaves a broken
// "latest": the older checkpoints stay listed and loadable. Pruning happens last.
import { createStore, del, get, keys, set } from 'idb-keyval';
import type { CheckpointInfo, EvalReport, RunRecord } from '../contract/api';
import type { Checkpoint, CheckpointMeta } from './record';

/** The part of idb-keyval used here, so tests can run against a Map. */
export interface Kv {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

let idb: Kv | null = null;
/** The browser's store; created on first use (Node has no IndexedDB). */
export function browserKv(): Kv {
  if (!idb) {
    const db = createStore('vicreg-studio-checkpoints', 'checkpoints');
    idb = {
      get: (k) => get(k, db),
      set: (k, v) => set(k, v, db),
      del: (k) => del(k, db),
      keys: async () => (await keys(db)).map(String),
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
 * Writes `c`, then points its run at it, then prunes the run to its newest `keep` checkpoints.
 * On failure nothing already stored changes, and the error says what to free.
 */
export async function saveCheckpoint(kv: Kv, c: Checkpoint, keep: number, readMs = 0): Promise<{ info: CheckpointInfo; run: RunRecord }> {
  const m = c.meta;
  const key = checkpointKey(m.runId, m.step, m.createdAt);
  const info: CheckpointInfo = { key, step: m.step, epoch: m.epoch, createdAt: m.createdAt, bytes: checkpointBytes(c), reason: m.reason, last: m.metrics[m.metrics.length - 1] ?? null };
  const t0 = performance.now();
  try {
    await kv.set(key, c);
    info.readMs = readMs;
    info.writeMs = performance.now() - t0;
  } catch (e) {
    await kv.del(key).catch(() => {});
    const quota = isQuotaError(e);
    throw new CheckpointWriteError(
      quota
        ? `the checkpoint at step ${m.step} (${(info.bytes / 1e6).toFixed(1)} MB) did not fit in the browser's storage; the older checkpoints are kept and training goes on. Delete old runs or stored datasets to make room.`
        : `the checkpoint at step ${m.step} could not be written (${e instanceof Error ? e.message : String(e)}); the older checkpoints are kept and training goes on.`,
      quota,
    );
  }
  const previous = await kv.get<RunRecord>(runKey(m.runId));
  const before = previous?.checkpoints ?? [];
  const kept = [...before.filter((x) => x.step !== m.step), info].sort((a, b) => a.step - b.step).slice(-Math.max(1, keep));
  const run: RunRecord = { runId: m.runId, name: m.runName, dataset: m.dataset, config: m.config, totalSteps: m.totalSteps, finished: m.finished, updatedAt: m.createdAt, checkpoints: kept };
  try {
    await kv.set(runKey(m.runId), run);
  } catch (e) {
    await kv.del(key).catch(() => {});
    throw new CheckpointWriteError(`the run record could not be updated (${e instanceof Error ? e.message : String(e)}); the previous checkpoint stays the latest.`, isQuotaError(e));
  }
  for (const old of before) if (!kept.includes(old)) await kv.del(old.key).catch(() => {});
  return { info, run };
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
  const run = await kv.get<RunRecord>(runKey(runId));
  if (!run) return;
  const gone = step === undefined ? run.checkpoints : run.checkpoints.filter((c) => c.step === step);
  const left = run.checkpoints.filter((c) => !gone.includes(c));
  if (left.length) await kv.set(runKey(runId), { ...run, checkpoints: left });
  else await kv.del(runKey(runId));
  for (const c of gone) await kv.del(c.key);
}

/** Keeps an evaluation's top-1 figures with the checkpoint of those weights, when one is stored. */
export async function recordResults(kv: Kv, runId: string, step: number, report: EvalReport): Promise<RunRecord | null> {
  const run = await kv.get<RunRecord>(runKey(runId));
  const info = run?.checkpoints.find((c) => c.step === step);
  if (!run || !info) return null;
  const top1 = Object.fromEntries(report.rows.map((r) => [r.name, r.top1]));
  info.results = { ...info.results, [report.kind]: { featLayer: report.featLayer, featPool: report.featPool, top1 } };
  await kv.set(runKey(runId), run);
  return run;
}

/** A new key for a run's checkpoints: time-ordered, unique per tab. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export type { CheckpointInfo, CheckpointMeta, RunRecord };
