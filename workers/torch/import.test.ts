// Importing PyTorch weights (.safetensors): the studio's own export back in, bare torchvision /
// timm-named backbones with their architecture inferred, and every way a file can fail to fit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { mulberry32 } from '../dataset/random';
import { buildModel } from '../model/model';
import { captureTensors, type Checkpoint, type CheckpointMeta } from '../checkpoint/record';
import { importCheckpoint, openCheckpoint } from '../host/checkpoint-service';
import { listRuns } from '../checkpoint/run-db';
import { config, memoryKv, run } from '../host/test-kit';
import { makeOptimizer } from '../optim/optimizers';
import { releaseRun } from '../train/run';
import { torchModelFile, torchStateDict } from './export';
import { checkpointFromSafetensors } from './import';
import { f32, writeSafetensors, type SafeTensor } from './safetensors';

let ck: Checkpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const a = await run({ ...config, epochs: 2 });
  ck = a.saved.find((c) => c.meta.reason === 'interval' && c.meta.stepInEpoch > 0)!;
  releaseRun(a.result);
});

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const valuesOf = (c: Checkpoint, prefix: string) =>
  Object.fromEntries(
    c.meta.model
      .filter((e) => e.name.startsWith(prefix))
      .map((e) => [e.name, Array.from(c.data.subarray(e.offset, e.offset + size(e.shape)))]),
  );

/** A random model of `trainConfig` as a checkpoint (values only matter for equality). */
async function randomCheckpoint(trainConfig: TrainConfig): Promise<Checkpoint> {
  const model = buildModel(trainConfig);
  const optimizer = makeOptimizer(trainConfig);
  const { layout, read } = captureTensors(model, optimizer, { ema: null });
  const data = await read();
  const rand = mulberry32(11);
  for (let i = 0; i < data.length; i++) data[i] = 0.5 + rand(); // positive: a valid running_var too
  optimizer.dispose();
  model.dispose();
  return {
    meta: {
      ...layout,
      config: trainConfig,
      step: 0,
      epoch: 0,
      stepInEpoch: 0,
      totalSteps: trainConfig.epochs,
      runName: 'x',
      dataset: { id: 'd', name: 'd' },
      normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
    } as unknown as CheckpointMeta,
    data,
  };
}

/** The backbone's tensors as torchvision / timm save them: no prefix, no projector, a classifier. */
function bareBackbone(c: Checkpoint, head: string): Uint8Array {
  const tensors: [string, SafeTensor][] = torchStateDict(c)
    .filter(([n]) => n.startsWith('backbone.'))
    .map(([n, t]) => [n.slice('backbone.'.length), t]);
  tensors.push([`${head}.weight`, f32(new Float32Array(10 * 4), [10, 4])], [`${head}.bias`, f32(new Float32Array(10), [10])]);
  return writeSafetensors(tensors); // no metadata
}

describe('importing .safetensors', () => {
  it("takes back the studio's own export exactly: weights, config, and where the run stands", async () => {
    const { checkpoint } = checkpointFromSafetensors(torchModelFile(ck), 'run.safetensors');
    expect(checkpoint.meta.config).toEqual(ck.meta.config);
    expect(valuesOf(checkpoint, '')).toEqual(valuesOf(ck, ''));
    expect(checkpoint.meta).toMatchObject({
      step: ck.meta.step,
      epoch: ck.meta.epoch,
      stepInEpoch: ck.meta.stepInEpoch,
      totalSteps: ck.meta.totalSteps,
      finished: false,
      runName: ck.meta.runName,
      dataset: ck.meta.dataset,
    });
    // Stored as a run that lists, opens and restores.
    const kv = memoryKv();
    const record = await importCheckpoint(kv, torchModelFile(ck), 3, 'run.safetensors');
    expect((await listRuns(kv)).runs.map((r) => r.runId)).toEqual([record.runId]);
    expect((await openCheckpoint(kv, record.runId)).config).toEqual(ck.meta.config);
  });

  it('infers each backbone from bare torchvision / timm names and shapes, and starts a fresh projector', async () => {
    const cases: Partial<TrainConfig>[] = [
      { backbone: 'small-cnn', width: 4, imageSize: 32 },
      { backbone: 'resnet18', widthMult: 0.125, stem: 'cifar', imageSize: 32 },
      { backbone: 'resnet34', widthMult: 0.0625, stem: 'imagenet', imageSize: 112 },
      { backbone: 'resnet50', widthMult: 0.0625, stem: 'cifar', imageSize: 32 },
      { backbone: 'resnet50v2', widthMult: 0.0625, stem: 'imagenet', imageSize: 112 },
      { backbone: 'mobilenetv2', widthMult: 0.35, imageSize: 112 },
      { backbone: 'vit-tiny', widthMult: 1, patchSize: 8, vitDepth: 2, imageSize: 32 },
    ];
    for (const patch of cases) {
      const c: TrainConfig = { ...DEFAULT_CONFIG, ...patch };
      const original = await randomCheckpoint(c);
      const { checkpoint, inferred } = checkpointFromSafetensors(
        bareBackbone(
          original,
          c.backbone.startsWith('vit')
            ? 'head'
            : c.backbone === 'mobilenetv2'
              ? 'classifier.1'
              : c.backbone === 'resnet50v2'
                ? 'predictions'
                : 'fc',
        ),
        'resnet.safetensors',
      );
      const got = checkpoint.meta.config;
      for (const k of Object.keys(patch) as (keyof TrainConfig)[]) expect(got[k], `${c.backbone} ${k}`).toEqual(c[k]);
      expect(inferred).toContain('no projector');
      expect(valuesOf(checkpoint, 'backbone.'), c.backbone).toEqual(valuesOf(original, 'backbone.'));
      expect(checkpoint.meta).toMatchObject({ finished: true, runName: 'resnet', reason: 'import' });
    }
  });

  it('refuses a missing, an extra or a mis-shaped tensor, integer weights and non-finite values, naming each', async () => {
    const base = torchStateDict(ck);
    const file = (edit: (t: [string, SafeTensor][]) => [string, SafeTensor][]) =>
      writeSafetensors(edit(base.map(([n, t]) => [n, t])), { config: JSON.stringify(ck.meta.config) });
    const kv = memoryKv();
    const refused = async (bytes: Uint8Array, message: RegExp) => {
      await expect(importCheckpoint(kv, bytes, 3, 'w.safetensors')).rejects.toThrow(message);
      expect(kv.map.size).toBe(0);
    };
    await refused(
      file((t) => t.filter(([n]) => n !== 'backbone.bn1.weight')),
      /the file's tensors do not fit the model its metadata describes \(small-cnn\): backbone.bn1.weight is missing/,
    );
    await refused(
      file((t) => [...t, ['backbone.conv9.weight', f32(new Float32Array(4), [4])]]),
      /backbone.conv9.weight is not part of this model/,
    );
    await refused(
      file((t) => t.map(([n, x]) => (n === 'backbone.conv1.weight' ? [n, f32(new Float32Array(54), [3, 2, 3, 3])] : [n, x]))),
      /backbone.conv1.weight is \[3,2,3,3\] in the file, \[2,3,3,3\] in this model/,
    );
    await refused(
      file((t) => t.map(([n, x]) => (n === 'backbone.conv1.weight' ? [n, { ...x, dtype: 'I32' }] : [n, x]))),
      /the tensor backbone.conv1.weight is I32; weights must be floating point/,
    );
    await refused(
      file((t) => t.map(([n, x]) => (n === 'projector.0.bias' ? [n, f32(new Float32Array(x.shape[0]).fill(NaN), x.shape)] : [n, x]))),
      /the checkpoint's tensor projector.0.bias holds a non-finite value/,
    );
    await refused(new TextEncoder().encode('not a model at all'), /the file is not a readable zip/);
    // A byte changed in the data of a file the studio (or train_vicreg.py) wrote: its CRC says so.
    const damaged = torchModelFile(ck).slice();
    damaged[damaged.length - 5] ^= 0x10;
    await refused(
      damaged,
      /the file fails its CRC-32 check \(its metadata says [0-9a-f]{8}, the tensors give [0-9a-f]{8}\): it was damaged after it was written/,
    );
  });
});
