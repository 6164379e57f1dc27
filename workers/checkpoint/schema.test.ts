// The record schemas (../contract/records.ts, ./record.ts) on a real checkpoint: what they refuse,
// with which message, what they repair (defaults, unknown keys), and what a damaged record in
// IndexedDB does to the list.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_LIMIT } from '../contract/history';
import { makeOptimizer } from '../optim/optimizers';
import { releaseRun } from '../train/run';
import { validateCheckpoint, validateRecord, type Checkpoint } from './record';
import { deleteCheckpoint, listRuns, loadCheckpoint, saveCheckpoint } from './run-db';
import { config, memoryKv, run } from '../host/test-kit';
import { jsonDepth } from './zip';

let ck: Checkpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const a = await run({ ...config, epochs: 1 });
  ck = a.saved[a.saved.length - 2]; // unfinished, with an optimizer state and history
  releaseRun(a.result);
});

// biome-ignore lint/suspicious/noExplicitAny: a record as JSON.parse gives it back, edited freely by the cases
type JsonRecord = Record<string, any>;

/** The record as JSON would give it back, changed by `edit`. */
const edited = (edit: (m: JsonRecord) => void) => {
  const m = JSON.parse(JSON.stringify(ck.meta));
  edit(m);
  return m;
};

describe('the checkpoint record schema', () => {
  it('accepts a real record and gives it back unchanged', () => {
    expect(validateRecord(JSON.parse(JSON.stringify(ck.meta)))).toEqual(ck.meta);
  });

  it('names the field and the fault of each kind of damage', () => {
    const cases: [(m: JsonRecord) => void, RegExp][] = [
      [(m) => (m.config.batchSize = 99999), /config\.batchSize is above 4096/],
      [(m) => (m.config.optimizer = 'adam'), /config\.optimizer is not one of lars, adamw, sgd/],
      [
        (m) => ((m.config.cropScaleMin = 0.9), (m.config.cropScaleMax = 0.5)),
        /config is inconsistent: cropScaleMin must not exceed cropScaleMax/,
      ],
      [(m) => (m.runName = {}), /runName is Object, expected string/],
      [(m) => (m.runId = '../x'), /runId is not a run id/],
      [(m) => delete m.rng, /rng is missing/],
      [(m) => (m.step = 1.5), /step is not a whole number/],
      [(m) => (m.step = m.totalSteps + 1), /step past totalSteps/],
      [(m) => (m.stepInEpoch += 1), /step, epoch and stepInEpoch that disagree/],
      [(m) => (m.metrics[0].loss = 'x'), /metrics\.0\.loss is not a number/],
      [(m) => (m.metrics = Array(HISTORY_LIMIT + 1).fill(m.metrics[0])), /metrics holds more than 2000 records/],
      [(m) => (m.optimizer[0].slot = 'constructor'), /optimizer\.0\.slot is not an optimizer state this studio knows/],
      [(m) => (m.model[0].shape = [1, 2, 3, 4, 5, 6, 7, 8, 9]), /model\.0\.shape has more than 8 dimensions/],
      [(m) => (m.model[0].shape = ['3']), /model\.0\.shape\.0 is not a number/],
      [(m) => (m.normalization.std = [1, 0, 1]), /normalization\.std\.1 is not above 0/],
      [(m) => (m.knn = 'x'), /knn is "x", expected Array/],
      [(m) => (m.model[1].offset += 1), /not where its record says/],
    ];
    for (const [edit, message] of cases) expect(() => validateRecord(edited(edit)), String(message)).toThrow(message);
  });

  it('drops unknown keys, prototype keys included, and gives settings added later their defaults', () => {
    const m = JSON.parse(JSON.stringify(ck.meta).replace('"config":{', '"config":{"__proto__":{"polluted":1},"notASetting":3,'));
    delete m.config.keepCheckpoints; // as a record written before that setting existed
    m.extra = 'x';
    const back = validateRecord(m);
    expect(back.config).toEqual(ck.meta.config);
    expect('notASetting' in back.config || 'extra' in back || 'polluted' in back.config).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a non-finite metric, which JSON writes as null, back as NaN', () => {
    expect(validateRecord(edited((m) => (m.metrics[0].loss = null))).metrics[0].loss).toBeNaN();
  });

  it('refuses tensor data that is not float32 values, as IndexedDB could hand back', () => {
    expect(() => validateCheckpoint(ck.meta, Array.from(ck.data))).toThrow(/not float32 values: the stored checkpoint is damaged/);
  });

  it('counts how deeply JSON nests without parsing it', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{"}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
    expect(jsonDepth('['.repeat(100000))).toBe(100000);
  });

  it('an optimizer refuses a slot name that is only an inherited property', () => {
    const optimizer = makeOptimizer(config);
    expect(() => optimizer.load([{ slot: 'toString' as 'lars.mu', param: null, value: tf.scalar(0) }])).toThrow(
      /holds optimizer state toString, which its optimizer does not have/,
    );
    optimizer.dispose();
  });
});

describe('damaged run records in IndexedDB', () => {
  it('are listed as damaged with the reason, the others as usual, and Delete removes them whole', async () => {
    const kv = memoryKv();
    await saveCheckpoint(kv, ck, 3);
    await saveCheckpoint(kv, { ...ck, meta: { ...ck.meta, runId: 'r2', runName: 'second' } }, 3);
    const r2 = kv.map.get('run:r2') as JsonRecord;
    kv.map.set('run:r2', { ...r2, name: { text: 'not a string' } }); // as another version could write it
    const { runs, damaged } = await listRuns(kv);
    expect(runs.map((r) => r.runId)).toEqual(['r1']);
    expect(damaged).toEqual([{ runId: 'r2', reason: 'the run record is damaged: name is Object, expected string' }]);
    await expect(loadCheckpoint(kv, 'r2')).rejects.toThrow(/the run record is damaged \(delete the run\): name is Object/);
    await deleteCheckpoint(kv, 'r2');
    expect([...kv.map.keys()].filter((k) => k.includes('r2'))).toEqual([]);
    expect((await listRuns(kv)).runs.map((r) => r.runId)).toEqual(['r1']);
  });

  it('a checkpoint written over a damaged record starts the record afresh', async () => {
    const kv = memoryKv();
    kv.map.set('run:r1', { runId: 'r1', checkpoints: 'x' });
    const { run: record } = await saveCheckpoint(kv, ck, 3);
    expect(record.checkpoints.map((c) => c.step)).toEqual([ck.meta.step]);
    expect((await listRuns(kv)).damaged).toEqual([]);
  });
});
