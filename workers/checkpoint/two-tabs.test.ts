// Two tabs on one run's storage, interleaved at random (IndexedDB runs readwrite transactions one
// after another; everything between them interleaves): one trains and writes checkpoints, the
// other lists, loads, records evaluation results, deletes an older checkpoint and cleans up
// orphans, as a second tab's page does. Whatever the order, the store stays whole: no checkpoint
// without its run, no run pointing at nothing, no recorded result lost while its checkpoint is
// kept, and every read sees a consistent state.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, RunRecord } from '../contract/api';
import { mulberry32 } from '../dataset/random';
import { releaseRun } from '../train/run';
import type { Checkpoint } from './record';
import { deleteCheckpoint, listRuns, loadCheckpoint, recordResults, removeOrphans, saveCheckpoint } from './run-db';
import { config, memoryKv, run } from '../host/test-kit';

const TRIALS = 200;

let saved: Checkpoint[];
beforeAll(async () => {
  await tf.setBackend('cpu');
  const a = await run(config);
  saved = a.saved;
  releaseRun(a.result);
});

const report = (step: number): EvalReport => ({
  kind: 'knn',
  settings: 'k = 20',
  featLayer: 'pool',
  featPool: 'global',
  trainCount: 96,
  testCount: 24,
  step,
  snapshot: false,
  bnAdaptSteps: 0,
  classes: ['a', 'b', 'c'],
  missingClasses: [],
  rows: [{ name: 'trained', top1: 0.5, top5: null, dim: 16 }],
});

describe('two tabs on one run', () => {
  it(`never leave an orphan, a dangling entry or a lost result (${TRIALS} seeded interleavings)`, async () => {
    const rand = mulberry32(7);
    const ticks = async () => {
      for (let i = Math.floor(rand() * 4); i > 0; i--) await new Promise((r) => setImmediate(r));
    };
    const tally = { trials: 0, orphans: 0, dangling: 0, lostResults: 0, inconsistentReads: 0, refusedReads: 0, opsWhileTraining: 0 };
    for (let t = 0; t < TRIALS; t++) {
      tally.trials++;
      const kv = memoryKv(undefined, ticks);
      const recorded: number[] = [];
      const keep = t % 2 ? 3 : 100; // pruning on, or every checkpoint kept (so every result and delete stays visible)
      let trainerDone = false;
      const trainer = (async () => {
        for (const c of saved) {
          await saveCheckpoint(kv, c, keep);
          await ticks();
        }
        trainerDone = true;
      })();
      const other = (async () => {
        for (let i = 0; i < 6; i++) {
          await ticks();
          const op = Math.floor(rand() * 5);
          const { runs } = await listRuns(kv);
          const r = runs[0] as RunRecord | undefined;
          if (!r) continue;
          if (!trainerDone) tally.opsWhileTraining++;
          const pickStep = r.checkpoints[Math.floor(rand() * r.checkpoints.length)].step;
          try {
            if (op === 0) {
              const c = await loadCheckpoint(kv, 'r1');
              if (!saved.some((s) => s.meta.step === c.meta.step)) tally.inconsistentReads++;
            } else if (op === 1) {
              if (await recordResults(kv, 'r1', pickStep, report(pickStep))) recorded.push(pickStep);
            } else if (op === 2) await deleteCheckpoint(kv, 'r1', pickStep);
            else if (op === 3) await removeOrphans(kv);
            else await loadCheckpoint(kv, 'r1', pickStep);
          } catch (e) {
            // A read of a step the trainer has pruned since the list was read: refused by name.
            if (e instanceof Error && /has no checkpoint at step|no stored run/.test(e.message)) tally.refusedReads++;
            else if (e instanceof Error && /missing from storage/.test(e.message)) tally.dangling++;
            else throw e;
          }
        }
      })();
      await Promise.all([trainer, other]);
      const { runs, damaged } = await listRuns(kv);
      expect(damaged).toEqual([]);
      const referenced = new Set(runs.flatMap((r) => r.checkpoints.map((c) => c.key)));
      const stored = [...kv.map.keys()].filter((k) => k.startsWith('ckpt:'));
      if (stored.some((k) => !referenced.has(k))) tally.orphans++;
      if ([...referenced].some((k) => !kv.map.has(k))) tally.dangling++;
      const kept = runs[0]?.checkpoints ?? [];
      if (recorded.some((s) => kept.some((c) => c.step === s && !c.results?.knn))) tally.lostResults++;
    }
    console.log(`two tabs: ${JSON.stringify(tally)}`);
    expect(tally).toMatchObject({ trials: TRIALS, orphans: 0, dangling: 0, lostResults: 0, inconsistentReads: 0 });
  });
});
