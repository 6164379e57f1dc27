// Seeded fuzzing of checkpoint import: thousands of mutations of a real export (of its record, of
// its tensors, of the zip's bytes, and of its PyTorch model.safetensors) go through the studio's
// import as a user's file would, and every one must end in one of two ways:
//   - refused, with a message of the studio's that names the fault (not a JavaScript engine error);
//   - stored, and then listed, resumed for two steps, exported (checkpoint, weights, PyTorch
//     project, embeddings) and rendered in the checkpoint panel, all without an error. A resume
//     may instead be refused by the trainer with its own message when the record's schedule does
//     not fit the dataset (a changed batch size): an import cannot know the dataset; that count is
//     reported apart.
// The counts print at the end (`npx vitest run test/unit/import-fuzz.test.ts`).
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointPanel, ResumeOffer } from '../../src/checkpoint/CheckpointPanel';
import { useStore } from '../../src/store';
import { resplit } from '../../workers/dataset/dataset';
import { mulberry32 } from '../../workers/dataset/random';
import type { Checkpoint } from '../../workers/checkpoint/record';
import {
  checkpointFile,
  embeddingsFile,
  importCheckpoint,
  openCheckpoint,
  runFromCheckpoint,
  weightsFile,
} from '../../workers/host/checkpoint-service';
import { listRuns } from '../../workers/checkpoint/run-db';
import { config, dataset, memoryKv, run } from '../../workers/host/test-kit';
import { checkpointZip } from '../../workers/checkpoint/zip';
import { torchModelFile } from '../../workers/torch/export';
import { torchProjectZip } from '../../workers/torch/project';
import { releaseRun, RunControl } from '../../workers/train/run';
import { train } from '../../workers/train/trainer';

const SEED = 20261202;
const TRIES = Number(process.env.FUZZ_TRIES ?? 2500);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

/** Values a careless tool or a hostile file puts where a field was. */
function hostile(rand: Rand, was: Json): Json {
  const n = typeof was === 'number' ? was : 1;
  return pick<() => Json>(rand, [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1,
    () => 2,
    () => 0.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53,
    () => 2 ** 31,
    () => n + 1,
    () => n - 1,
    () => n * 2,
    () => n / 2,
    () => -n,
    () => Math.floor(rand() * 100),
    () => '',
    () => 'x',
    () => '=HYPERLINK("http://x")',
    () => '<img src=x onerror=alert(1)>',
    () => 'é𝄞\u0000\u202e',
    () => 'a'.repeat(10_000),
    () => String(n),
    () => [],
    () => [1, 2, 3],
    () => ['3'],
    () => ({}),
    () => ({ __proto__: { polluted: 1 } }) as unknown as Json,
    () => JSON.parse('['.repeat(40) + ']'.repeat(40)) as Json,
    () => (Array.isArray(was) ? [...was, ...was] : was),
    () => (Array.isArray(was) ? was.slice(0, -1) : was),
  ])();
}

/** Every container (object or array) in `root`, with the keys it holds. */
function containers(root: Json): (Json[] | { [k: string]: Json })[] {
  const out: (Json[] | { [k: string]: Json })[] = [];
  const walk = (x: Json) => {
    if (x === null || typeof x !== 'object') return;
    out.push(x);
    (Array.isArray(x) ? x : Object.values(x)).forEach(walk);
  };
  walk(root);
  return out;
}

/** One to three edits of the record: a field replaced, deleted or added (prototype keys included). */
function mutateRecord(rand: Rand, meta: Json): Json {
  const m = structuredClone(meta);
  const all = containers(m);
  for (let i = 1 + Math.floor(rand() * 3); i > 0; i--) {
    // Favour the shallow containers (the record itself, config, rng, ...) over the many history rows.
    const c = rand() < 0.5 ? pick(rand, all.slice(0, 12)) : pick(rand, all);
    const keys: (string | number)[] = Array.isArray(c) ? c.map((_, j) => j) : Object.keys(c);
    if (keys.length === 0) continue;
    const k = pick(rand, keys) as never;
    const op = rand();
    if (op < 0.75) (c as Record<string, Json>)[k] = hostile(rand, (c as Record<string, Json>)[k]);
    else if (op < 0.9) {
      if (Array.isArray(c)) c.splice(k, 1);
      else delete c[k];
    } else if (!Array.isArray(c)) c[pick(rand, ['__proto__', 'constructor', 'extra', 'toString'])] = hostile(rand, 1);
  }
  return m;
}

/** Tensor data changed: a value set to something odd, or the file cut or grown. */
function mutateTensors(rand: Rand, bin: Uint8Array): Uint8Array {
  const op = rand();
  if (op < 0.2) return bin.subarray(0, Math.floor(rand() * bin.length));
  if (op < 0.3) return new Uint8Array([...bin, 0, 0, 0, 0]);
  const out = bin.slice();
  const f = new Float32Array(out.buffer);
  for (let i = 1 + Math.floor(rand() * 4); i > 0; i--)
    f[Math.floor(rand() * f.length)] = pick(rand, [NaN, Infinity, -Infinity, 0, 1e30, -3.5, 1e-30]);
  return out;
}

/** The zip's own bytes damaged: flips, a cut, garbage appended, a zeroed range. */
function mutateZip(rand: Rand, zip: Uint8Array): Uint8Array {
  const op = rand();
  if (op < 0.3) return zip.subarray(0, Math.floor(rand() * zip.length));
  if (op < 0.4) return new Uint8Array([...zip, ...Array.from({ length: 64 }, () => Math.floor(rand() * 256))]);
  const out = zip.slice();
  if (op < 0.5) out.fill(0, Math.floor(rand() * out.length), Math.floor(rand() * out.length));
  else for (let i = 1 + Math.floor(rand() * 8); i > 0; i--) out[Math.floor(rand() * out.length)] ^= 1 << Math.floor(rand() * 8);
  return out;
}

/** A safetensors file damaged: its JSON header edited as a record is (above), or its bytes as a zip's. */
function mutateSafetensors(rand: Rand, file: Uint8Array): Uint8Array {
  if (rand() < 0.4) return mutateZip(rand, file);
  const n = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  const header = strToU8(JSON.stringify(mutateRecord(rand, JSON.parse(strFromU8(file.subarray(8, 8 + n))) as Json)));
  const out = new Uint8Array(8 + header.length + file.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(file.subarray(8 + n), 8 + header.length);
  return out;
}

/** A refusal of the studio's own: an Error (not a TypeError or RangeError from the engine) whose
 *  message says what is wrong with the file. */
const clearRefusal = (e: unknown) =>
  e instanceof Error &&
  e.constructor === Error &&
  /^(the |checkpoint\.json |tensors\.bin )/.test(e.message) &&
  !/undefined|is not a function|is not iterable|Cannot read/.test(e.message);

/** Trains a stored run on for two steps, as the worker's resume does. Returns the trained run. */
async function resumeTwoSteps(ck: Checkpoint) {
  const c = ck.meta.config;
  const data = resplit(dataset(ck.meta.dataset.id, ck.meta.dataset.name), c.testFraction, c.seed);
  const control = new RunControl();
  let steps = 0;
  let failed: string | undefined;
  const result = await train(
    data,
    c,
    control,
    (e) => {
      if (e.type === 'metrics' && (steps += e.records.length) >= 2) control.stop();
      if (e.type === 'state' && e.state === 'failed') failed = e.message;
    },
    { runId: ck.meta.runId, runName: ck.meta.runName, resume: ck, checkpoint: async () => {} },
  );
  if (failed !== undefined) {
    releaseRun(result);
    throw new TypeError(`the resumed run failed: ${failed}`); // not a refusal: counted as "other"
  }
  return { result, data };
}

/** Server-renders the checkpoint panel and the resume offer over what is stored. */
async function render(kv: ReturnType<typeof memoryKv>) {
  const { runs, damaged } = await listRuns(kv);
  useStore.setState({ runs, damagedRuns: damaged, resumeOffer: runs.find((r) => !r.finished) ?? null });
  return renderToString(createElement('div', null, createElement(ResumeOffer), createElement(CheckpointPanel)));
}

describe('importing a mutated checkpoint', () => {
  let base: Checkpoint;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    // A server render reads the store's initial state; make it read the current one.
    useStore.getInitialState = useStore.getState;
    const a = await run({ ...config, metricsEvery: 1 });
    base = a.saved.find((c) => !c.meta.finished && c.meta.stepInEpoch > 0)!;
    releaseRun(a.result);
  });

  it(`either refuses it naming the fault, or stores it usable (${TRIES} seeded mutations)`, async () => {
    const rand = mulberry32(SEED);
    const zip = checkpointZip(base);
    const files = unzipSync(zip);
    const meta = JSON.parse(strFromU8(files['checkpoint.json'])) as Json;
    const counts = { tried: 0, rejectedClearly: 0, acceptedUsable: 0, resumeRefusedClearly: 0, other: 0 };
    const others: string[] = [];
    const reasons = new Map<string, number>();
    const kinds = { record: 0, tensors: 0, zip: 0, safetensors: 0 };
    const torchFile = torchModelFile(base); // the PyTorch export, which imports back too
    for (let i = 0; i < TRIES; i++) {
      const r = rand();
      const kind = r < 0.5 ? 'record' : r < 0.65 ? 'tensors' : r < 0.8 ? 'zip' : 'safetensors';
      kinds[kind]++;
      const bytes =
        kind === 'record'
          ? zipSync({
              'checkpoint.json': strToU8(JSON.stringify(mutateRecord(rand, meta))),
              'tensors.bin': [files['tensors.bin'], { level: 0 }],
            })
          : kind === 'tensors'
            ? zipSync({
                'checkpoint.json': files['checkpoint.json'],
                'tensors.bin': [mutateTensors(rand, files['tensors.bin']), { level: 0 }],
              })
            : kind === 'zip'
              ? mutateZip(rand, zip)
              : mutateSafetensors(rand, torchFile);
      counts.tried++;
      const kv = memoryKv();
      let stage = 'import';
      try {
        const record = await importCheckpoint(kv, bytes, 3);
        stage = 'list';
        const listed = await listRuns(kv);
        if (listed.damaged.length || listed.runs[0]?.runId !== record.runId) throw new Error('listed wrongly');
        stage = 'open';
        const { checkpoint, config: c } = await openCheckpoint(kv, record.runId);
        stage = 'export';
        checkpointFile(checkpoint);
        await weightsFile(checkpoint, c);
        torchProjectZip(checkpoint);
        stage = 'render';
        await render(kv);
        stage = 'resume';
        if (!checkpoint.meta.finished) {
          let resumed: Awaited<ReturnType<typeof resumeTwoSteps>>;
          try {
            resumed = await resumeTwoSteps(checkpoint);
          } catch (e) {
            if (clearRefusal(e) || (e instanceof Error && /^run ".*" has \d+ steps per epoch/s.test(e.message))) {
              counts.resumeRefusedClearly++;
              continue;
            }
            throw e;
          }
          stage = 'embeddings';
          await embeddingsFile(resumed.result, checkpoint.meta.runName, resumed.data);
          releaseRun(resumed.result);
        } else releaseRun(runFromCheckpoint(checkpoint, c));
        counts.acceptedUsable++;
      } catch (e) {
        if (stage === 'import' && clearRefusal(e)) {
          counts.rejectedClearly++;
          const why = (e as Error).message
            .replace(/\d+(\.\d+)?/g, 'N')
            .replace(/"[^"]*"/g, '"…"')
            .slice(0, 90);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        } else {
          counts.other++;
          if (others.length < 10)
            others.push(
              `#${i} ${kind} at ${stage}: ${e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e)}`,
            );
        }
      }
    }
    console.log(
      `import fuzz (seed ${SEED}): ${JSON.stringify(counts)}; mutations ${JSON.stringify(kinds)}; tensors in memory after: ${tf.memory().numTensors}`,
    );
    console.log(
      [...reasons]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([m, n]) => `${String(n).padStart(5)}  ${m}`)
        .join('\n'),
    );
    expect(others).toEqual([]);
    expect(counts.other).toBe(0);
    expect(counts.rejectedClearly).toBeGreaterThan(TRIES / 3); // the mutations do reach the checks
    expect(counts.acceptedUsable).toBeGreaterThan(TRIES / 20); // and harmless ones get through
  }, 240_000);
});
