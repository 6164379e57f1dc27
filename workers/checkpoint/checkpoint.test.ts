import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { config, dataset, memoryKv, run } from '../host/test-kit';

const configDefault = config;
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { buildModel } from '../model/model';
import { makeOptimizer } from '../optim/optimizers';
import { releaseRun, RunControl, type TrainedRun } from '../train/run';
import { train } from '../train/trainer';
import { encoderLayers, layersFiles, lookupFor, projectorLayers } from './layers-model';
import { captureTensors, restoreTensors, validateCheckpoint, type Checkpoint } from './record';
import { importCheckpoint } from '../host/checkpoint-service';
import { deleteCheckpoint, listRuns, loadCheckpoint, removeOrphans, saveCheckpoint } from './run-db';
import { checkpointZip, crc32, MAX_IMPORT_BYTES, readCheckpointZip, weightsZip, zipEntries } from './zip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every variable of a finished run (model, optimizer, AVT) by a stable name, as plain arrays. */
function stateOf(r: TrainedRun): Record<string, number[]> {
  const names = new Map(r.model.store.params.map((p) => [p.variable, p.name]));
  const out: Record<string, number[]> = {};
  for (const p of r.model.store.params) out[p.name] = Array.from(p.variable.dataSync());
  for (const s of r.optimizer.state()) out[`${s.slot}/${s.param ? names.get(s.param) : ''}`] = Array.from(s.variable.dataSync());
  if (r.avt.ema) out['avt.ema'] = Array.from(r.avt.ema.dataSync());
  return out;
}

describe('checkpoints during training', () => {
  it('are taken every checkpointEvery steps and at each epoch end, complete and finite', async () => {
    const a = await run(config);
    expect(a.saved.map((c) => [c.meta.step, c.meta.reason])).toEqual([
      [5, 'interval'],
      [10, 'interval'],
      [12, 'epoch'],
      [15, 'interval'],
      [20, 'interval'],
      [24, 'end'],
    ]);
    const last = a.saved[a.saved.length - 1];
    expect(last.meta.finished).toBe(true);
    expect(a.saved[1].meta).toMatchObject({ epoch: 0, stepInEpoch: 10, finished: false, totalSteps: 24 });
    expect(a.saved[2].meta).toMatchObject({ epoch: 1, stepInEpoch: 0 });
    // the metric history is complete up to the checkpoint's step
    expect(a.saved[1].meta.metrics.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const c of a.saved) expect(validateCheckpoint(c.meta, c.data).meta.config).toEqual(config);
    expect(last.meta.avt?.shape).toEqual([16]);
    expect(last.meta.optimizer.map((e) => e.slot)).toEqual(last.meta.model.filter((e) => !/running_/.test(e.name)).map(() => 'lars.mu'));
    // The training time to each checkpoint (what a baseline at equal cost gets): growing, and the
    // run's own at its end.
    const times = a.saved.map((c) => c.meta.trainedMs!);
    expect(times[0]).toBeGreaterThan(0);
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThan(times[k - 1]);
    expect(a.result.trainedMs).toBeGreaterThanOrEqual(times[times.length - 1]);
    releaseRun(a.result);
  });

  // Exactness of resume: a resumed run and an uninterrupted one from the same seed agree
  // bit for bit, in the middle of an epoch and at an epoch boundary; with progressive resolution
  // too (8 px for the first 9 of its 24 steps, 16 after), which a resume must take up at its step.
  const progressiveRun = { ...config, imageSize: 16, progressiveFrom: 8, progressiveUntil: 0.75 };
  for (const [at, config] of [
    [10, configDefault],
    [12, configDefault],
    [10, progressiveRun],
  ] as const) {
    it(`resuming at step ${at} reproduces the uninterrupted run exactly (weights, optimizer, AVT, losses)${config.progressiveFrom ? ', progressive resolution' : ''}`, async () => {
      const a = await run(config);
      const ck = a.saved.find((c) => c.meta.step === at)!;
      // The restored optimizer state is the saved one.
      const model = buildModel(config);
      const optimizer = makeOptimizer(config);
      const avt = restoreTensors(ck, model, optimizer);
      const optEntries = ck.meta.optimizer;
      optimizer
        .state()
        .forEach((s, k) =>
          expect(Array.from(s.variable.dataSync())).toEqual(
            Array.from(ck.data.subarray(optEntries[k].offset, optEntries[k].offset + s.variable.size)),
          ),
        );
      expect(Array.from(avt.ema!.dataSync())).toEqual(Array.from(ck.data.subarray(ck.meta.avt!.offset, ck.meta.avt!.offset + 16)));
      tf.dispose([avt.ema!]);
      optimizer.dispose();
      model.dispose();

      const b = await run(config, ck);
      expect(b.result.step).toBe(24);
      // Its training time goes on from the checkpoint's.
      expect(b.saved[0].meta.trainedMs).toBeGreaterThan(ck.meta.trainedMs!);
      expect(b.events[1]).toEqual({
        type: 'history',
        records: ck.meta.metrics,
        knn: ck.meta.knn,
        knnBaselines: ck.meta.knnBaselines,
        diagnostics: ck.meta.diagnostics,
      });
      // The diagnostics history is whole up to the checkpoint, and goes on as the uninterrupted run's.
      expect(ck.meta.diagnostics!.map((d) => d.step)).toEqual(
        a.saved[a.saved.length - 1].meta.diagnostics!.map((d) => d.step).filter((s) => s <= at),
      );
      expect(b.saved[b.saved.length - 1].meta.diagnostics).toEqual(a.saved[a.saved.length - 1].meta.diagnostics);
      expect(b.records.map((r) => r.step)).toEqual(Array.from({ length: 24 - at }, (_, k) => at + 1 + k));
      expect(b.records.map((r) => r.loss)).toEqual(a.records.filter((r) => r.step > at).map((r) => r.loss));
      expect(stateOf(b.result)).toEqual(stateOf(a.result));
      releaseRun(a.result);
      releaseRun(b.result);
    });
  }

  it('progressive resolution trains on smaller crops first: not the run at the full size', async () => {
    const grown = await run({ ...config, imageSize: 16, progressiveFrom: 8 });
    const full = await run({ ...config, imageSize: 16 });
    const loss = (r: typeof grown) => r.records.map((x) => x.loss);
    expect(loss(grown).slice(0, 1)).not.toEqual(loss(full).slice(0, 1));
    expect(loss(grown).every(Number.isFinite)).toBe(true);
    releaseRun(grown.result);
    releaseRun(full.result);
  });

  it('Stop and Save take a checkpoint at the current step', async () => {
    const control = new RunControl();
    const saved: Checkpoint[] = [];
    const r = await train(
      dataset(),
      { ...config, checkpointEvery: 100 },
      control,
      (e) => {
        if (e.type === 'metrics' && e.records.some((x) => x.step === 3)) control.requestSave();
        if (e.type === 'metrics' && e.records.some((x) => x.step === 9)) control.stop();
      },
      {
        runId: 'r2',
        runName: 'stop',
        checkpoint: async (c) => {
          saved.push(c);
        },
      },
    );
    expect(r.state).toBe('stopped');
    expect(saved.map((c) => c.meta.reason)).toEqual(['manual', 'stop']);
    expect(saved[1].meta.step).toBe(r.step);
    expect(saved[1].meta.finished).toBe(false);
    releaseRun(r);
  });
});

/** A Map with IndexedDB's transaction semantics: writes staged, then applied all or none. */
describe('the checkpoint store', () => {
  let saved: Checkpoint[] = [];
  beforeAll(async () => {
    const a = await run(config);
    saved = a.saved;
    releaseRun(a.result);
  });

  it('keeps the newest keepCheckpoints per run and prunes the rest', async () => {
    const kv = memoryKv();
    for (const c of saved) await saveCheckpoint(kv, c, 3);
    const {
      runs: [r],
    } = await listRuns(kv);
    expect(r.checkpoints.map((c) => c.step)).toEqual([15, 20, 24]);
    expect([...kv.map.keys()].filter((k) => k.startsWith('ckpt:'))).toHaveLength(3);
    expect(r.finished).toBe(true);
    const latest = await loadCheckpoint(kv, 'r1');
    expect(latest.meta.step).toBe(24);
    expect(Array.from(latest.data)).toEqual(Array.from(saved[5].data));
    await deleteCheckpoint(kv, 'r1', 24);
    expect((await loadCheckpoint(kv, 'r1')).meta.step).toBe(20);
    await deleteCheckpoint(kv, 'r1');
    expect(await listRuns(kv)).toEqual({ runs: [], damaged: [] });
    expect(kv.map.size).toBe(0);
  });

  it('a write that fails for quota leaves the previous checkpoint latest and loadable', async () => {
    let full = false;
    const kv = memoryKv((k) => full && k.startsWith('ckpt:'));
    await saveCheckpoint(kv, saved[0], 3);
    full = true;
    await expect(saveCheckpoint(kv, saved[1], 3)).rejects.toThrow(/did not fit in the browser's storage; the older checkpoints are kept/);
    const {
      runs: [r],
    } = await listRuns(kv);
    expect(r.checkpoints.map((c) => c.step)).toEqual([5]);
    const back = await loadCheckpoint(kv, 'r1');
    expect(back.meta.step).toBe(5);
    expect(Array.from(back.data)).toEqual(Array.from(saved[0].data));
    expect(kv.map.size).toBe(2);
  });

  it('a failed run-record update leaves no new checkpoint behind and keeps the old latest', async () => {
    let full = false;
    const kv = memoryKv((k) => full && k.startsWith('run:'));
    await saveCheckpoint(kv, saved[0], 3);
    full = true;
    await expect(saveCheckpoint(kv, saved[1], 3)).rejects.toThrow(/the older checkpoints are kept/);
    expect((await loadCheckpoint(kv, 'r1')).meta.step).toBe(5);
    expect([...kv.map.keys()].filter((k) => k.startsWith('ckpt:'))).toHaveLength(1);
  });

  it('removes checkpoints no run points at, and only those', async () => {
    const kv = memoryKv();
    await saveCheckpoint(kv, saved[0], 3);
    await saveCheckpoint(kv, saved[1], 3);
    kv.map.set('ckpt:gone:000000005:1', saved[0]); // as an older version could leave behind
    expect(await removeOrphans(kv)).toBe(1);
    expect([...kv.map.keys()].sort()).toEqual([...(await listRuns(kv)).runs[0].checkpoints.map((c) => c.key), 'run:r1'].sort());
    expect(await removeOrphans(kv)).toBe(0);
  });
});

describe('checkpoint files', () => {
  let ck: Checkpoint;
  beforeAll(async () => {
    const a = await run({ ...config, epochs: 1 });
    ck = a.saved[a.saved.length - 1];
    releaseRun(a.result);
  });

  it('round trip: export then import gives identical weights, optimizer and AVT state', () => {
    const back = readCheckpointZip(checkpointZip(ck));
    expect(back.meta).toEqual(ck.meta);
    expect(back.data).toEqual(ck.data);
    const model = buildModel(validateCheckpoint(back.meta, back.data).meta.config);
    const optimizer = makeOptimizer(config);
    const avt = restoreTensors(back, model, optimizer);
    expect(avt.ema).not.toBeNull();
    tf.dispose(avt.ema!);
    optimizer.dispose();
    model.dispose();
  });

  it('refuses a corrupt zip, a truncated one, a missing weight file and another architecture, naming the fault', () => {
    const zip = checkpointZip(ck);
    const garbage = Uint8Array.from(zip, (b, i) => (i > 40 && i < 400 ? b ^ 0x5a : b));
    expect(() => readCheckpointZip(garbage)).toThrow(/not a readable zip|not valid JSON|truncated/);
    expect(() => readCheckpointZip(zip.subarray(0, zip.length >> 1))).toThrow(/not a readable zip/);
    expect(() => readCheckpointZip(new TextEncoder().encode('hello'))).toThrow(/not a readable zip/);
    const files = unzipSync(zip);
    expect(() => readCheckpointZip(zipSync({ 'checkpoint.json': files['checkpoint.json'] }))).toThrow(
      /no tensors.bin: the weight file is missing/,
    );
    expect(() =>
      readCheckpointZip(zipSync({ 'checkpoint.json': files['checkpoint.json'], 'tensors.bin': files['tensors.bin'].subarray(0, 1001) })),
    ).toThrow(/not a whole number of float32 values/);
    // Refused from the zip's declared size, before tensors.bin is inflated.
    expect(() =>
      readCheckpointZip(zipSync({ 'checkpoint.json': files['checkpoint.json'], 'tensors.bin': files['tensors.bin'].subarray(0, 1000) })),
    ).toThrow(/holds 250 weight values but its record lists \d+: the weight file is truncated/);
    expect(() => validateCheckpoint(ck.meta, ck.data.subarray(0, 250))).toThrow(
      /holds 250 weight values but its record lists \d+: the weight file is truncated/,
    );
    expect(() => validateCheckpoint({ ...ck.meta, format: 99 }, ck.data)).toThrow(/format version 99; this studio reads version 1/);
    expect(() => validateCheckpoint({ ...ck.meta, config: { ...ck.meta.config, width: -3 } }, ck.data)).toThrow(/config.width is below 1/);
    // Another architecture: the record says width 4, the tensors are width 2's.
    const other = { ...ck, meta: { ...ck.meta, config: { ...ck.meta.config, width: 4 } } };
    const model = buildModel(validateCheckpoint(other.meta, other.data).meta.config);
    const optimizer = makeOptimizer(other.meta.config);
    const before = model.store.params.map((p) => Array.from(p.variable.dataSync()));
    expect(() => restoreTensors(other, model, optimizer)).toThrow(
      /does not fit the model its config describes: backbone.conv1.weight is \[3,3,3,2\] in the checkpoint, \[3,3,3,4\] in this model/,
    );
    expect(model.store.params.map((p) => Array.from(p.variable.dataSync()))).toEqual(before);
    optimizer.dispose();
    model.dispose();
  });

  it('refuses a flipped bit anywhere in the tensors or the record by their CRC-32', () => {
    const zip = checkpointZip(ck); // tensors.bin is stored, so its bytes lie in the file as they are
    const entries = zipEntries(zip);
    expect(entries.get('tensors.bin')!.crc).toBe(crc32(unzipSync(zip)['tensors.bin']));
    const bin = unzipSync(zip)['tensors.bin'];
    const at = findBytes(zip, bin.subarray(4000, 4032)) + 16;
    const flipped = zip.slice();
    flipped[at] ^= 0x01;
    expect(() => readCheckpointZip(flipped)).toThrow(/tensors.bin fails its CRC-32 check .*: the file was damaged after it was written/);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  it('refuses declared sizes before inflating: an oversized file, record or weight file', async () => {
    const zip = checkpointZip(ck);
    const { meta } = readCheckpointZip(zip);
    // A record that lists 250 million values, self-consistent, and a zip that declares 1 GB for
    // tensors.bin: the check on the record against its config's model refuses it first.
    const huge = { ...meta, values: 250_000_000, model: [{ ...meta.model[0], shape: [250_000_000] }, ...meta.model.slice(1)] };
    huge.optimizer = [];
    huge.avt = null;
    let at = 0;
    for (const e of huge.model) (e.offset = at), (at += e.shape.reduce((a, b) => a * b, 1));
    huge.values = at;
    const bomb = withDeclaredSize(
      zipSync({ 'checkpoint.json': strToU8(JSON.stringify(huge)), 'tensors.bin': [new Uint8Array(1024), { level: 0 }] }),
      'tensors.bin',
      4 * at,
    );
    // Were tensors.bin inflated first, the error would be its size (1 KiB against 1 GB declared).
    await expect(importCheckpoint(memoryKv(), bomb, 3)).rejects.toThrow(
      /does not fit the model its config describes: backbone.conv1.weight is \[250000000\] in the checkpoint/,
    );
    // A record of 40 MiB declared, and a file over the import cap.
    expect(() => readCheckpointZip(withDeclaredSize(zip, 'checkpoint.json', 40 << 20))).toThrow(
      /checkpoint.json declares 40.0 MiB; a checkpoint's record is at most 32.0 MiB/,
    );
    expect(() => readCheckpointZip({ byteLength: MAX_IMPORT_BYTES + 1 } as Uint8Array)).toThrow(
      /more than the 1024.0 MiB a checkpoint of the largest recipe needs/,
    );
  });

  it('an import is a new run: it never replaces a stored one, and importing twice gives two runs', async () => {
    const kv = memoryKv();
    await saveCheckpoint(kv, ck, 3);
    const zip = checkpointZip(ck);
    const a = await importCheckpoint(kv, zip, 3);
    const b = await importCheckpoint(kv, zip, 3);
    const { runs } = await listRuns(kv);
    expect(new Set(runs.map((r) => r.runId))).toEqual(new Set([ck.meta.runId, a.runId, b.runId]));
    expect(a.runId).not.toBe(ck.meta.runId);
    expect(b.runId).not.toBe(a.runId);
    expect((await loadCheckpoint(kv, ck.meta.runId)).data).toEqual(ck.data);
    expect((await loadCheckpoint(kv, a.runId)).data).toEqual(ck.data);
  });

  it('the weights export loads with tf.loadLayersModel and gives the studio embedding to 1e-5', async () => {
    const c = validateCheckpoint(ck.meta, ck.data).meta.config;
    const get = lookupFor(ck);
    const encoder = encoderLayers(c, get);
    const projector = projectorLayers(c, 8 * c.width, get);
    const zip = weightsZip(ck, {
      encoder: await layersFiles(encoder),
      projector: await layersFiles(projector),
      featureDim: 16,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    });
    encoder.dispose();
    projector.dispose();
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'config.json',
      'encoder/model.json',
      'encoder/weights.bin',
      'metrics.csv',
      'projector/model.json',
      'projector/weights.bin',
    ]);
    expect(strFromU8(files['metrics.csv']).split('\n')[0]).toBe(
      'step,epoch,lr,loss,invariance,variance,covariance,gammaT,imagesPerSec,knnTop1,knnTop1Lo95,knnTop1Hi95,knnPixels,knnRandom',
    );
    expect(strFromU8(files['README.txt'])).toMatch(/tf.loadLayersModel/);
    // What a user does: unzip to a folder, then load model.json, whose manifest names the weight
    // file beside it (tfjs-node's file:// handler does the same reads; it is not a dependency here).
    const root = mkdtempSync(join(tmpdir(), 'vicreg-export-'));
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), bytes);
    }
    const fromDisk = (modelJson: string): tf.io.IOHandler => ({
      load: async () => {
        const json = JSON.parse(readFileSync(modelJson, 'utf8'));
        const bin = readFileSync(join(dirname(modelJson), json.weightsManifest[0].paths[0]));
        return {
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
        };
      },
    });
    const enc = await tf.loadLayersModel(fromDisk(join(root, 'encoder/model.json')));
    const proj = await tf.loadLayersModel(fromDisk(join(root, 'projector/model.json')));
    rmSync(root, { recursive: true });
    const model = buildModel(c);
    restoreTensors(ck, model, makeOptimizer(c)).ema?.dispose();
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const studio = model.forward(x, false);
    const features = enc.predict(x) as tf.Tensor;
    const embedding = proj.predict(features) as tf.Tensor;
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(features.shape).toEqual([4, 16]);
    expect(maxDiff(features, studio.features)).toBeLessThan(1e-5);
    expect(maxDiff(embedding, studio.embedding)).toBeLessThan(1e-5);
    tf.dispose([x, studio.features, studio.embedding, features, embedding]);
    enc.dispose();
    proj.dispose();
    model.dispose();
  });
});

describe('layers export of every convolutional backbone', () => {
  // BatchNorm running statistics moved off their init by a few training-mode passes, zero-init off
  // so no block is the identity: the exported net must match the studio's inference forward.
  const cases: [string, Partial<TrainConfig>, number][] = [
    ['small CNN', { backbone: 'small-cnn', width: 3 }, 16],
    ['ResNet-18, CIFAR stem', { backbone: 'resnet18', widthMult: 0.125, stem: 'cifar', zeroInitResidual: 'off' }, 16],
    ['ResNet-18, ImageNet stem (odd side)', { backbone: 'resnet18', widthMult: 0.125, stem: 'imagenet', zeroInitResidual: 'off' }, 37],
    ['ResNet-50', { backbone: 'resnet50', widthMult: 0.0625, stem: 'imagenet', zeroInitResidual: 'off' }, 32],
    ['MobileNetV2', { backbone: 'mobilenetv2', widthMult: 0.25 }, 33],
    ['ResNet50V2, Keras stem (odd side)', { backbone: 'resnet50v2', widthMult: 0.0625, stem: 'imagenet' }, 45],
    ['ResNet50V2, CIFAR stem', { backbone: 'resnet50v2', widthMult: 0.0625, stem: 'cifar' }, 16],
  ];
  for (const [label, patch, side] of cases) {
    it(`${label}: the exported encoder gives the studio's features`, async () => {
      const c: TrainConfig = { ...DEFAULT_CONFIG, projector: '16-8', imageSize: side, ...patch };
      const model = buildModel(c);
      const optimizer = makeOptimizer(c);
      tf.tidy(() => {
        for (let k = 0; k < 3; k++) model.forward(tf.randomNormal([4, side, side, 3], 0.3, 1.2, 'float32', k) as tf.Tensor4D, true);
      });
      const { layout, read } = captureTensors(model, optimizer, { ema: null });
      const ck = { meta: { ...layout, config: c } as unknown as Checkpoint['meta'], data: await read() };
      const get = lookupFor(ck);
      const enc = encoderLayers(c, get);
      const proj = projectorLayers(c, model.backbone.featureDim, get);
      // Inputs wider than the ones the statistics saw, so ReLU6 clips somewhere.
      const x = tf.randomNormal([3, side, side, 3], 0, 8, 'float32', 11) as tf.Tensor4D;
      const studio = model.forward(x, false);
      const features = enc.predict(x) as tf.Tensor;
      const embedding = proj.predict(features) as tf.Tensor;
      const relErr = (a: tf.Tensor, b: tf.Tensor) =>
        tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]));
      expect(features.shape).toEqual(studio.features.shape);
      expect(relErr(features, studio.features)).toBeLessThan(1e-5);
      expect(relErr(embedding, studio.embedding)).toBeLessThan(1e-5);
      tf.dispose([x, studio.features, studio.embedding, features, embedding]);
      enc.dispose();
      proj.dispose();
      optimizer.dispose();
      model.dispose();
    });
  }
  it('a ViT is refused with what to use instead', () => {
    const c: TrainConfig = { ...DEFAULT_CONFIG, backbone: 'vit-tiny', imageSize: 32, patchSize: 8 };
    expect(() => encoderLayers(c, () => tf.scalar(0))).toThrow(/no multi-head attention layer.*Checkpoint file/);
  });
});

/** Where `needle` first occurs in `hay`. */
function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}

/** The zip with `name`'s declared (uncompressed) size rewritten in its central directory entry. */
function withDeclaredSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const entry = findBytes(out.subarray(out.length - 400), strToU8(name)) + out.length - 400 - 46;
  expect(view.getUint32(entry, true)).toBe(0x02014b50);
  view.setUint32(entry + 24, size, true);
  return out;
}
