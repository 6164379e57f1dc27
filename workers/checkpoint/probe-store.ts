// Linear-probe heads kept with the checkpoint whose features they were fit on, so that inference
// and LP-FT after a reload (or in another browser, through the export) use the probe the table
// reported instead of fitting a new one. One record per checkpoint, under "probe:" + its key, with a
// head per readout (features, pooling, BatchNorm adaptation: workers/eval/session.ts readoutKey).
// It goes wherever its checkpoint goes (run-db.ts deletes and prunes them together).
import * as v from 'valibot';
import type { Kv, KvTx } from './run-db';

/** softmax(((x − mean) / std) W + b), as workers/eval/probe.ts ProbeHead: mean, std [D], w [D, C], b [C]. */
export interface ProbeHeadValues {
  mean: Float32Array;
  std: Float32Array;
  w: Float32Array;
  b: Float32Array;
}

/** The heads of one checkpoint: fit on `datasetId`'s split, naming `classes` in order. */
export interface StoredProbes {
  datasetId: string;
  classes: string[];
  heads: Record<string, ProbeHeadValues>; // by readout
}

/** At most this many readouts a checkpoint (a head of a 4×4 ResNet-50 readout is 1.3 MB). */
export const MAX_HEADS = 4;

const PREFIX = 'probe:';
export const probeKey = (checkpointKey: string) => `${PREFIX}${checkpointKey}`;
/** The checkpoint key a probe record belongs to, or null for a key that is not one. */
export const probeOwner = (key: string) => (key.startsWith(PREFIX) ? key.slice(PREFIX.length) : null);

/** Whether a head's sizes agree with each other and with `classes` (a damaged record must not classify). */
export function headFits(h: ProbeHeadValues, classes: number): boolean {
  const d = h.mean?.length;
  return d > 0 && h.std?.length === d && h.b?.length === classes && h.w?.length === d * classes;
}

async function checkpointAt(tx: KvTx, runId: string, step: number): Promise<string | null> {
  const run = await tx.get<{ checkpoints?: { step: number; key: string }[] }>(`run:${runId}`);
  return run?.checkpoints?.find((c) => c.step === step)?.key ?? null;
}

/**
 * Keeps `head` with the stored checkpoint of run `runId` at `step`, for `readout`; nothing when no
 * checkpoint of that step is stored (a snapshot, or one pruned since). Heads fit on another dataset
 * are replaced; the newest MAX_HEADS readouts stay.
 */
export async function saveProbeHead(
  kv: Kv,
  at: { runId: string; step: number },
  readout: string,
  fit: { datasetId: string; classes: string[] },
  head: ProbeHeadValues,
): Promise<boolean> {
  return kv.transaction(async (tx) => {
    const key = await checkpointAt(tx, at.runId, at.step);
    if (!key) return false;
    const old = await tx.get<StoredProbes>(probeKey(key));
    const same = old && old.datasetId === fit.datasetId && old.classes.join('\n') === fit.classes.join('\n');
    const heads = Object.entries({ ...(same ? old.heads : {}), [readout]: head }).filter(([r]) => r !== readout);
    const kept = [...heads.slice(-(MAX_HEADS - 1)), [readout, head] as const];
    tx.set(probeKey(key), { datasetId: fit.datasetId, classes: fit.classes, heads: Object.fromEntries(kept) } satisfies StoredProbes);
    return true;
  });
}

/** Every head kept with run `runId`'s checkpoint at `step` (its latest when step is omitted), for an export. */
export async function loadProbes(kv: Kv, runId: string, step?: number): Promise<StoredProbes | null> {
  const run = await kv.get<{ checkpoints?: { step: number; key: string }[] }>(`run:${runId}`);
  const list = run?.checkpoints ?? [];
  const key = (step === undefined ? list[list.length - 1] : list.find((c) => c.step === step))?.key;
  return key ? ((await kv.get<StoredProbes>(probeKey(key))) ?? null) : null;
}

/** Stores heads that came with an imported checkpoint, under its new key. */
export async function storeProbes(kv: Kv, at: { runId: string; step: number }, probes: StoredProbes): Promise<boolean> {
  return kv.transaction(async (tx) => {
    const key = await checkpointAt(tx, at.runId, at.step);
    if (!key || !Object.keys(probes.heads).length) return false;
    tx.set(probeKey(key), probes);
    return true;
  });
}

/** The head kept for `readout` with run `runId`'s checkpoint at `step`, when it was fit on this
 *  dataset's classes; null otherwise. */
export async function loadProbeHead(
  kv: Kv,
  at: { runId: string; step: number },
  readout: string,
  fit: { datasetId: string; classes: string[] },
): Promise<ProbeHeadValues | null> {
  const run = await kv.get<{ checkpoints?: { step: number; key: string }[] }>(`run:${at.runId}`);
  const key = run?.checkpoints?.find((c) => c.step === at.step)?.key;
  if (!key) return null;
  const stored = await kv.get<StoredProbes>(probeKey(key));
  const head = stored?.heads?.[readout];
  if (!stored || !head || stored.datasetId !== fit.datasetId || stored.classes.join('\n') !== fit.classes.join('\n')) return null;
  return headFits(head, fit.classes.length) ? head : null;
}

/** A checkpoint's heads as they travel in an export zip (probe-heads.json): plain numbers. */
const headJson = v.object({ mean: v.array(v.number()), std: v.array(v.number()), w: v.array(v.number()), b: v.array(v.number()) });
export const probesJsonSchema = v.object({
  datasetId: v.pipe(v.string(), v.maxLength(200)),
  classes: v.pipe(v.array(v.pipe(v.string(), v.maxLength(500))), v.maxLength(10_000)),
  heads: v.record(v.pipe(v.string(), v.maxLength(200)), headJson),
});

export function probesToJson(p: StoredProbes): string {
  const heads = Object.fromEntries(
    Object.entries(p.heads).map(([r, h]) => [
      r,
      { mean: Array.from(h.mean), std: Array.from(h.std), w: Array.from(h.w), b: Array.from(h.b) },
    ]),
  );
  return JSON.stringify({ datasetId: p.datasetId, classes: p.classes, heads });
}

/** The inverse of probesToJson; heads whose sizes disagree are dropped. Throws on a malformed file. */
export function probesFromJson(text: string): StoredProbes {
  const r = v.safeParse(probesJsonSchema, JSON.parse(text));
  if (!r.success) throw new Error(`probe-heads.json is damaged: ${r.issues[0].message}`);
  const heads: Record<string, ProbeHeadValues> = {};
  for (const [readout, h] of Object.entries(r.output.heads).slice(0, MAX_HEADS)) {
    const values = { mean: Float32Array.from(h.mean), std: Float32Array.from(h.std), w: Float32Array.from(h.w), b: Float32Array.from(h.b) };
    if (headFits(values, r.output.classes.length)) heads[readout] = values;
  }
  return { datasetId: r.output.datasetId, classes: r.output.classes, heads };
}
