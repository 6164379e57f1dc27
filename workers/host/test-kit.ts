// The test kit of the checkpoint, torch and import tests (not shipped): a small synthetic dataset, a run config
// that trains in a fraction of a second on TF.js's CPU backend, and IndexedDB as a Map.
import type { MetricRecord, TrainEvent } from '../contract/api';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { RunControl } from '../train/run';
import { train } from '../train/trainer';
import type { Checkpoint } from '../checkpoint/record';
import type { Kv, KvTx } from '../checkpoint/run-db';

/** 120 random 12×12 RGB images in 3 classes. */
export function dataset(id = 'synthetic', name = 'synthetic') {
  const rand = mulberry32(9);
  const n = 120;
  const pixels = Uint8Array.from({ length: n * 12 * 12 * 3 }, () => Math.floor(rand() * 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return fromPixels(pixels, { count: n, height: 12, width: 12, channels: 3 }, labels, ['a', 'b', 'c'], {
    id,
    name,
    source: 'test',
    testFraction: 0.2,
    seed: 0,
  });
}

// 96 training images / batch 8 = 12 steps per epoch; AVT on, so its EMA is part of the state.
export const config: TrainConfig = {
  ...DEFAULT_CONFIG,
  batchSize: 8,
  imageSize: 8,
  width: 2,
  projector: '16-16',
  metricsEvery: 3,
  epochs: 2,
  checkpointEvery: 5,
  varianceMode: 'adaptive',
  covarianceMode: 'sicov',
  optimizer: 'lars',
};

/** Trains `config` on the synthetic dataset, keeping every checkpoint and event. */
export async function run(config: TrainConfig, resume?: Checkpoint) {
  const saved: Checkpoint[] = [];
  const events: TrainEvent[] = [];
  const result = await train(dataset(), config, new RunControl(), (e) => events.push(e), {
    runId: 'r1',
    runName: 'test run',
    resume,
    checkpoint: async (ck) => {
      saved.push(ck);
    },
  });
  const records = events.flatMap((e) => (e.type === 'metrics' ? e.records : [])) as MetricRecord[];
  return { result, saved, events, records };
}

/** IndexedDB as a Map, values structured-cloned as IndexedDB does; `fail` makes a write throw
 *  QuotaExceededError for the keys it names (the whole transaction then writes nothing). */
export function memoryKv(fail?: (key: string) => boolean, delay?: () => Promise<void>): Kv & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  // IndexedDB runs readwrite transactions on one store one after another; `delay` lets a test
  // interleave everything else (reads outside transactions, two tabs' own code) at random.
  let queue: Promise<unknown> = Promise.resolve();
  // Reads take time, inside a transaction and out (IndexedDB answers them asynchronously).
  const reads = {
    get: async <T>(k: string) => {
      await delay?.();
      return structuredClone(map.get(k)) as T | undefined;
    },
    keys: async () => {
      await delay?.();
      return [...map.keys()];
    },
  };
  return {
    map,
    ...reads,
    transaction<R>(fn: (tx: KvTx) => Promise<R>): Promise<R> {
      const run = queue.then(() => body<R>(fn));
      queue = run.catch(() => {});
      return run;
    },
  };
  async function body<R>(fn: (tx: KvTx) => Promise<R>): Promise<R> {
    const writes: [string, unknown][] = [];
    const result = await fn({
      ...reads,
      set: (k, v) => void writes.push([k, structuredClone(v)]),
      del: (k) => void writes.push([k, undefined]),
    });
    await delay?.(); // the commit takes time too
    if (writes.some(([k, v]) => v !== undefined && fail?.(k)))
      throw Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
    for (const [k, v] of writes)
      if (v === undefined) map.delete(k);
      else map.set(k, v);
    return result;
  }
}
