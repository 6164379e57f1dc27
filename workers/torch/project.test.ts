// The "PyTorch project" export run in real PyTorch (Debian's python3-torch; .ci/run installs it):
// train_vicreg.py continues a studio checkpoint on an ImageFolder the test writes; its first
// step's loss, with augmentation off, is the studio's loss on the same images and weights; it
// trains under torchrun with two processes (DistributedDataParallel on gloo); and what it writes
// has the studio's names and shapes.
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { png } from '../../test/png';
import { importCheckpoint, openCheckpoint, runFromCheckpoint } from '../host/checkpoint-service';
import { config, memoryKv, run } from '../host/test-kit';
import type { Checkpoint } from '../checkpoint/record';
import { mulberry32 } from '../dataset/random';
import { rampedCoeff } from '../optim/schedule';
import { releaseRun } from '../train/run';
import { vicregLoss } from '../vicreg/loss';
import { torchStateDict } from './export';
import { torchProjectZip, trainScript } from './project';
import { permute } from './layout';
import { f32, readSafetensors, writeSafetensors } from './safetensors';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const TORCHRUN = process.env.TORCHRUN ?? '/usr/bin/torchrun';

/** Runs a command, or fails with its output and what to install. */
function sh(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed (PyTorch: apt-get install -y python3-torch python3-torchvision):\n${x.stdout ?? ''}\n${x.stderr ?? String(e)}`,
    );
  }
}

/** The step lines of the script's output (torchrun's tee prefixes each with its rank). */
const steps = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.includes('{"step"'))
    .map(
      (l) =>
        JSON.parse(l.slice(l.indexOf('{"step"'))) as {
          step: number;
          loss: number;
          invariance: number;
          variance: number;
          covariance: number;
        },
    );

let ck: Checkpoint;
let dir: string;
const S = config.imageSize;
const images: Uint8Array[] = []; // 24 gray S×S images: a/000..011, b/000..011

beforeAll(async () => {
  await tf.setBackend('cpu');
  // AVT and SICov on, so the exported loss covers the variants; a checkpoint at an epoch boundary,
  // so the script's first batch is the ImageFolder's first images.
  const a = await run({ ...config, epochs: 2 });
  ck = a.saved.find((c) => c.meta.reason === 'epoch')!;
  releaseRun(a.result);
  dir = mkdtempSync(join(tmpdir(), 'vicreg-project-'));
  const files = unzipSync(torchProjectZip(ck).bytes);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const rand = mulberry32(3);
  for (const cls of ['a', 'b']) {
    mkdirSync(join(dir, 'data', cls), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const g = Uint8Array.from({ length: S * S }, () => Math.floor(rand() * 256));
      images.push(g);
      writeFileSync(join(dir, 'data', cls, `${String(i).padStart(3, '0')}.png`), png(g, S, S));
    }
  }
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('the PyTorch project', () => {
  it('holds the five files, and the script is valid Python with the run inlined', () => {
    expect(Object.keys(unzipSync(torchProjectZip(ck).bytes)).sort()).toEqual([
      'README.md',
      'model.safetensors',
      'optimizer.safetensors',
      'requirements.txt',
      'train_vicreg.py',
    ]);
    const script = trainScript(ck);
    expect(script).not.toMatch(/@@/);
    expect(script).toContain(`"varianceMode": "adaptive"`);
    sh(PYTHON, ['-m', 'py_compile', join(dir, 'train_vicreg.py')], dir);
    // A run name cannot break out of the docstring.
    const hostile = trainScript({ ...ck, meta: { ...ck.meta, runName: 'x"""\nimport os; os.system("echo pwned")\n"""' } });
    writeFileSync(join(dir, 'hostile.py'), hostile);
    sh(PYTHON, ['-m', 'py_compile', join(dir, 'hostile.py')], dir);
    expect(hostile).not.toMatch(/^import os; os.system/m);
  });

  it("continues on one process, and its first loss is the studio's on the same batch (augmentation off, 1e-4)", () => {
    const out = sh(
      PYTHON,
      ['train_vicreg.py', '--data', 'data', '--out', 'out1', '--no-augment', '--max-steps', '3', '--workers', '0'],
      dir,
    );
    const torchSteps = steps(out);
    expect(torchSteps.map((s) => s.step)).toEqual([1, 2, 3].map((k) => 3 * ck.meta.epoch + k)); // 24 images / batch 8
    expect(torchSteps.every((s) => Number.isFinite(s.loss))).toBe(true);

    // The studio's loss on the same first batch: a/000..007, as is and mirrored.
    const c = ck.meta.config;
    const { mean, std } = ck.meta.normalization;
    const trained = runFromCheckpoint(ck, c);
    const studio = tf.tidy(() => {
      const gray = tf
        .tensor(
          images.slice(0, c.batchSize).flatMap((g) => Array.from(g)),
          [c.batchSize, S, S, 1],
        )
        .div(255);
      const x = tf.sub(tf.concat([gray, gray, gray], 3), mean).div(std) as tf.Tensor4D;
      const z1 = trained.model.forward(x, true).embedding;
      const z2 = trained.model.forward(tf.reverse(x, 2) as tf.Tensor4D, true).embedding;
      const step = 3 * ck.meta.epoch; // the script's step count on its data
      const t = vicregLoss(
        z1,
        z2,
        {
          ...c,
          simCoeff: rampedCoeff(c.simCoeff, step, c.rampSteps, c.rampStart),
          covCoeff: rampedCoeff(c.covCoeff, step, c.rampSteps, c.rampStart),
        },
        trained.avt,
        true,
      );
      t.state.ema?.dispose();
      return [t.loss, t.invariance, t.variance, t.covariance].map((s) => s.dataSync()[0]);
    });
    releaseRun(trained);
    const first = torchSteps[0];
    console.log(
      `first step: PyTorch loss ${first.loss} (inv ${first.invariance}, var ${first.variance}, cov ${first.covariance}); studio ${studio[0]} (inv ${studio[1]}, var ${studio[2]}, cov ${studio[3]})`,
    );
    expect(Math.abs(first.loss - studio[0]) / Math.abs(studio[0])).toBeLessThan(1e-4);
    expect(Math.abs(first.variance - studio[2])).toBeLessThan(1e-4 * Math.max(1, Math.abs(studio[2])));

    // What it wrote has the studio's names and shapes, and says where it stopped.
    const written = readSafetensors(readFileSync(join(dir, 'out1', 'model.safetensors')));
    const exported = new Map(torchStateDict(ck).map(([n, t]) => [n, t.shape]));
    expect([...written.tensors.keys()].sort()).toEqual([...exported.keys()].sort());
    for (const [n, t] of written.tensors) expect(t.shape, n).toEqual(exported.get(n));
    expect(written.metadata.step).toBe(String(3 * ck.meta.epoch + 3));
    expect(JSON.parse(written.metadata.config)).toEqual(c);
    const optimizer = readSafetensors(readFileSync(join(dir, 'out1', 'optimizer.safetensors')));
    expect(optimizer.tensors.has('avt.ema')).toBe(true);
    expect(optimizer.tensors.has('backbone.conv1.weight.mu')).toBe(true);
  }, 120_000);

  it("comes back: what the script wrote imports into the studio, whose features of the same images are PyTorch's (1e-4)", async () => {
    const kv = memoryKv();
    const written = readFileSync(join(dir, 'out1', 'model.safetensors'));
    const record = await importCheckpoint(kv, new Uint8Array(written), 3, 'model.safetensors');
    expect(record.name).toBe(`${ck.meta.runName} (PyTorch)`);
    expect(record.dataset).toEqual(ck.meta.dataset);
    const { checkpoint, config: c } = await openCheckpoint(kv, record.runId);
    expect(checkpoint.meta.step).toBe(3 * ck.meta.epoch + 3);
    const back = runFromCheckpoint(checkpoint, c);
    const x = tf.randomNormal([4, S, S, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const { features, embedding } = back.model.forward(x, false);
    const caseDir = join(dir, 'roundtrip', 'back');
    mkdirSync(caseDir, { recursive: true });
    writeFileSync(join(caseDir, 'model.safetensors'), written);
    writeFileSync(
      join(caseDir, 'io.safetensors'),
      writeSafetensors([
        ['x', f32(permute((await x.data()) as Float32Array, x.shape, [0, 3, 1, 2]).values, [4, 3, S, S])],
        ['features', f32((await features.data()) as Float32Array, features.shape)],
        ['projection', f32((await embedding.data()) as Float32Array, embedding.shape)],
      ]),
    );
    tf.dispose([x, features, embedding]);
    releaseRun(back);
    const r = JSON.parse(sh(PYTHON, [join(__dirname, 'torch_features.py'), join(dir, 'roundtrip')], dir)).back as {
      features: number;
      projection: number;
    };
    console.log(`round trip through PyTorch: features ${r.features}, projection ${r.projection} (max |torch − studio| / max |studio|)`);
    expect(r.features).toBeLessThan(1e-4);
    expect(r.projection).toBeLessThan(1e-4);
  });

  it('trains under torchrun with two processes (DistributedDataParallel on gloo)', () => {
    // --redirects/--tee 1: torch 1.13's launcher reads their default 0 (and 3) as None on
    // Python ≥ 3.11 (Std.from_str iterates an IntFlag, which yields only its one-bit members).
    const out = sh(
      TORCHRUN,
      [
        '--nproc_per_node=2',
        '--master_port=29517',
        '--redirects=1',
        '--tee=1',
        'train_vicreg.py',
        '--data',
        'data',
        '--out',
        'out2',
        '--max-steps',
        '3',
        '--workers',
        '0',
      ],
      dir,
    );
    expect(out).toContain('"world": 2');
    const s = steps(out);
    expect(s).toHaveLength(3);
    expect(s.every((x) => Number.isFinite(x.loss))).toBe(true);
    expect(readSafetensors(readFileSync(join(dir, 'out2', 'model.safetensors'))).metadata.step).toBe(String(s[2].step));
  }, 180_000);
});
