// The PyTorch export against real PyTorch: for every backbone, model.safetensors loads strictly
// into workers/torch/models.py's nn.Module and gives the studio's features and projections of the
// same images to 1e-5 (Debian's python3-torch and python3-torchvision; .ci/run installs them).
// Also the safetensors format and the layout permutations on their own.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { mulberry32 } from '../dataset/random';
import { buildModel } from '../model/model';
import { makeOptimizer } from '../optim/optimizers';
import { captureTensors, type Checkpoint, type CheckpointMeta } from '../checkpoint/record';
import { torchModelFile, torchStateDict } from './export';
import { inverse, layoutOf, permute, TO_TORCH } from './layout';
import { f32, i64Scalar, readSafetensors, writeSafetensors } from './safetensors';

/** Debian's Python, where apt puts torch (another python3 may come first on PATH); PYTHON overrides. */
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('safetensors', () => {
  it('round trips tensors and metadata, header padded to 8 bytes', () => {
    const a = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const bytes = writeSafetensors(
      [
        ['a', f32(a, [2, 3])],
        ['n', i64Scalar(42)],
      ],
      { config: '{"x":1}' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ config: '{"x":1}' });
    expect(Array.from(new Float32Array(back.tensors.get('a')!.data.slice().buffer))).toEqual(Array.from(a));
    expect(back.tensors.get('a')!.shape).toEqual([2, 3]);
    expect(new DataView(back.tensors.get('n')!.data.slice().buffer).getBigInt64(0, true)).toBe(42n);
  });

  it('refuses a truncated file, a gap, an overlap, an unknown dtype and a huge header, naming the fault', () => {
    const good = writeSafetensors([
      ['a', f32(new Float32Array(4), [4])],
      ['b', f32(new Float32Array(2), [2])],
    ]);
    expect(() => readSafetensors(good.subarray(0, good.length - 1))).toThrow(/b lies past the end of the file/);
    const header = (h: object) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + 24);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() =>
      readSafetensors(
        header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }),
      ),
    ).toThrow(/b starts at byte 4, where 8 was expected/);
    expect(() => readSafetensors(header({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }))).toThrow(
      /a starts at byte 8, where 0 was expected/,
    );
    expect(() => readSafetensors(header({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }))).toThrow(/a has no known dtype/);
    expect(() => readSafetensors(header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }))).toThrow(
      /a spans 8 bytes, its F32 shape \[3\] needs 12/,
    );
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(huge)).toThrow(/header claims 1099511627776 bytes/);
  });
});

describe('layouts', () => {
  it('permute moves every value where its indices say, and the inverse brings it back', () => {
    const shape = [2, 3, 4, 5];
    const values = Float32Array.from({ length: 120 }, (_, i) => i);
    const perm = TO_TORCH.conv!;
    const t = permute(values, shape, perm);
    expect(t.shape).toEqual([5, 4, 2, 3]);
    // out[o, i, h, w] = in[h, w, i, o]
    const at = (h: number, w: number, i: number, o: number) => ((h * 3 + w) * 4 + i) * 5 + o;
    expect(t.values[((4 * 4 + 3) * 2 + 1) * 3 + 2]).toBe(at(1, 2, 3, 4));
    expect(Array.from(permute(t.values, t.shape, inverse(perm)).values)).toEqual(Array.from(values));
  });

  it('knows MobileNetV2 depthwise kernels from ordinary convolutions', () => {
    expect(layoutOf('mobilenetv2', 'backbone.features.2.conv.1.0.weight', [3, 3, 96, 1])).toBe('depthwise');
    expect(layoutOf('mobilenetv2', 'backbone.features.2.conv.0.0.weight', [1, 1, 16, 96])).toBe('conv');
    expect(layoutOf('small-cnn', 'backbone.conv1.weight', [3, 3, 3, 1])).toBe('conv'); // width 1
    expect(layoutOf('vit-tiny', 'backbone.pos_embed', [1, 17, 192])).toBe('plain');
    expect(layoutOf('resnet18', 'projector.0.weight', [512, 32])).toBe('dense');
  });
});

/** Each backbone small enough to run in a second, at a size its stem and strides accept. */
const CASES: Record<string, Partial<TrainConfig>> = {
  'small-cnn': { backbone: 'small-cnn', width: 4, imageSize: 16 }, // even side: 'same' pads 0 before, 1 after at stride 2
  'small-cnn-odd': { backbone: 'small-cnn', width: 4, imageSize: 15 }, // odd side: 1 before and after
  'resnet18-cifar': { backbone: 'resnet18', widthMult: 0.125, stem: 'cifar', imageSize: 16 },
  'resnet18-imagenet': { backbone: 'resnet18', widthMult: 0.125, stem: 'imagenet', imageSize: 32 },
  resnet50: { backbone: 'resnet50', widthMult: 0.0625, stem: 'cifar', imageSize: 16 },
  // Keras's stem at an odd side (the zero-padded pool and the strided identities meet odd maps), and the CIFAR stem.
  resnet50v2: { backbone: 'resnet50v2', widthMult: 0.0625, stem: 'imagenet', imageSize: 45 },
  'resnet50v2-cifar': { backbone: 'resnet50v2', widthMult: 0.0625, stem: 'cifar', imageSize: 16 },
  mobilenetv2: { backbone: 'mobilenetv2', widthMult: 0.35, imageSize: 32 },
  'vit-tiny': { backbone: 'vit-tiny', widthMult: 0.25, patchSize: 4, vitDepth: 2, imageSize: 16 },
};

/** The model of `c` with every value random (BatchNorm statistics too), as a checkpoint. */
async function randomCheckpoint(
  config: TrainConfig,
  seed: number,
): Promise<{ checkpoint: Checkpoint; model: ReturnType<typeof buildModel> }> {
  const model = buildModel(config);
  const rand = mulberry32(seed);
  tf.tidy(() => {
    for (const p of model.store.params) {
      const n = p.variable.size;
      const noise = Float32Array.from({ length: n }, () => rand() * 2 - 1);
      if (p.name.endsWith('running_var'))
        p.variable.assign(
          tf.tensor(
            noise.map((x) => 0.5 + Math.abs(x)),
            p.variable.shape,
          ),
        );
      else if (/\.(bn\d|\d+|downsample\.1|norm\d?)\.weight$/.test(p.name) && p.variable.rank === 1)
        p.variable.assign(
          tf.tensor(
            noise.map((x) => 1 + 0.3 * x),
            p.variable.shape,
          ),
        );
      else
        p.variable.assign(
          tf.add(
            p.variable,
            tf.tensor(
              noise.map((x) => 0.1 * x),
              p.variable.shape,
            ),
          ),
        );
    }
  });
  const optimizer = makeOptimizer(config);
  const { layout, read } = captureTensors(model, optimizer, { ema: null });
  const data = await read();
  optimizer.dispose();
  const meta = {
    ...layout,
    config,
    step: 3,
    epoch: 0,
    stepInEpoch: 3,
    totalSteps: 10 * config.epochs,
    runName: 'torch test',
    dataset: { id: 'd', name: 'd' },
    normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
  } as unknown as CheckpointMeta;
  return { checkpoint: { meta, data }, model };
}

describe('model.safetensors in PyTorch', () => {
  it('loads strictly into the torchvision / timm-named module and gives the same features and projections (1e-5 of their largest value)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vicreg-torch-'));
    try {
      for (const [name, patch] of Object.entries(CASES)) {
        const c: TrainConfig = { ...DEFAULT_CONFIG, projector: '32-16', ...patch };
        const { checkpoint, model } = await randomCheckpoint(c, name.length);
        const S = c.imageSize;
        const x = tf.randomNormal([3, S, S, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
        const { features: y, embedding: z } = model.forward(x, false);
        const io = writeSafetensors([
          ['x', f32(permute((await x.data()) as Float32Array, x.shape, [0, 3, 1, 2]).values, [3, 3, S, S])],
          ['features', f32((await y.data()) as Float32Array, y.shape)],
          ['projection', f32((await z.data()) as Float32Array, z.shape)],
        ]);
        tf.dispose([x, y, z]);
        model.dispose();
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'model.safetensors'), torchModelFile(checkpoint));
        writeFileSync(join(dir, name, 'io.safetensors'), io);
        // Every BatchNorm has its num_batches_tracked, as torch's state_dict does.
        const names = torchStateDict(checkpoint).map(([n]) => n);
        expect(names.filter((n) => n.endsWith('num_batches_tracked')).length).toBe(names.filter((n) => n.endsWith('running_var')).length);
      }
      let out: string;
      try {
        out = execFileSync(PYTHON, [join(__dirname, 'torch_features.py'), dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        throw new Error(
          `PyTorch could not check the export (install it: apt-get install -y python3-torch python3-torchvision): ${(e as { stderr?: string }).stderr ?? String(e)}`,
        );
      }
      const result = JSON.parse(out) as Record<string, { features: number; projection: number; dim: number }>;
      console.log('PyTorch agreement (max |torch − studio| / max |studio|):', JSON.stringify(result));
      expect(Object.keys(result).sort()).toEqual(Object.keys(CASES).sort());
      for (const [name, r] of Object.entries(result)) {
        expect(r.features, `${name} features`).toBeLessThan(1e-5);
        expect(r.projection, `${name} projection`).toBeLessThan(1e-5);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
