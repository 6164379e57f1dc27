// The studio's training step on TF.js's WebGPU backend in Node, through Dawn (the `webgpu` npm
// package's dawn.node), for a machine with a GPU and no browser: images/s, GFLOP/s and the peak of
// tf.memory().numBytes, with recomputation off and on, plus a matMul ceiling. The same trainStep and
// kernels as the worker (workers/train/step.ts, workers/backend/webgpu-kernels.ts).
//   DAWN_NODE=path/to/dawn.node node webgpu-node.mjs [cases=defaults,small-32] [batch=256] [steps=5] [modes=off,on] [matmul=4096]
// bench/gpu/pack.sh bundles this with Node and dawn.node for the device machine (bench/gpu/README.md);
// here, on SwiftShader's Vulkan, it checks the path (not the speed):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/gpu/webgpu-node.ts cases=defaults batch=4 steps=1 matmul=256
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { registerWebgpuKernels } from '../../workers/backend/webgpu-kernels';
import { DEFAULT_CONFIG } from '../../workers/contract/config';
import { applyPreset, isPresetId } from '../../workers/contract/presets';
import { images } from '../../workers/model/backbone-test-kit';
import { modelCard } from '../../workers/model/card';
import { buildModel } from '../../workers/model/model';
import { trainStep } from '../../workers/train/step';
import { makeOptimizer } from '../../workers/optim/optimizers';
import { errorMessage } from '../../workers/contract/errors';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=', 2) as [string, string]));
const cases = (args.cases ?? 'defaults,small-32').split(',');
const batch = Number(args.batch ?? 256);
const steps = Number(args.steps ?? 5);
const modes = (args.modes ?? 'off,on').split(',');

// Dawn's WebGPU as the browser's navigator.gpu (tfjs-backend-webgpu looks there).
const require = createRequire(import.meta.url);
const dawnPath = process.env.DAWN_NODE ?? require.resolve(`webgpu/dist/${process.platform}-${process.arch}/dawn.node`);
const dawn = require(dawnPath) as { create(flags: string[]): unknown; globals: object };
Object.assign(globalThis, dawn.globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
await import('@tensorflow/tfjs-backend-webgpu'); // registers itself only where navigator.gpu exists

registerWebgpuKernels();
if (!(await tf.setBackend('webgpu')))
  throw new Error('the webgpu backend did not start: no adapter (is a Vulkan driver found? VK_ICD_FILENAMES)');
await tf.ready();
const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
console.log(`webgpu adapter: ${JSON.stringify(info ?? {})}`);

/** Seconds per call of f, with a readback each call so the GPU's queue is in the time. */
async function timed(f: () => tf.Tensor, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const y = f();
    await y.data();
    y.dispose();
  }
  return (performance.now() - t0) / 1000 / n;
}

// The ceiling: an n² matMul (2·n³ FLOPs); 4096 on a GPU, smaller to check the path on SwiftShader.
{
  const n = Number(args.matmul ?? 4096);
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  await timed(() => tf.sum(tf.matMul(a, b)), 2);
  const s = await timed(() => tf.tidy(() => tf.sum(tf.matMul(a, b))), 5);
  console.log(`matMul ${n}²: ${((2 * n ** 3) / s / 1e9).toPrecision(3)} GFLOP/s`);
  tf.dispose([a, b]);
}

const rows: object[] = [];
for (const id of cases) {
  if (!isPresetId(id)) throw new Error(`no recipe ${id}`);
  for (const mode of modes) {
    const c = { ...applyPreset(DEFAULT_CONFIG, id), batchSize: batch };
    const card = modelCard(c);
    const flops = 6 * card.flops.total; // per image pair's view: forward + backward ≈ 3× forward, two views
    const model = buildModel(c);
    const ctx = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null }, recompute: mode === 'on' };
    const x1 = images(batch, c.imageSize, 1);
    const x2 = images(batch, c.imageSize, 2);
    let row: Record<string, unknown> = { case: id, batch, recompute: mode };
    try {
      const step = (i: number) => tf.tidy(() => trainStep(ctx, x1, x2, i, 0.01).row);
      await timed(() => step(0), 2); // compiles the shaders, makes the optimizer's slots
      const profile = await tf.profile(async () => void (await step(2).data()));
      const s = await timed(() => step(3), steps);
      row = {
        ...row,
        imagesPerSec: batch / s,
        gflops: (batch * flops) / s / 1e9,
        peakBytes: profile.peakBytes,
        cardBytes: mode === 'on' ? card.memory.recompute.total : card.memory.total,
      };
    } catch (e) {
      row.error = errorMessage(e);
    }
    rows.push(row);
    console.log(JSON.stringify(row));
    tf.dispose([x1, x2]);
    ctx.optimizer.dispose();
    model.dispose();
  }
}
console.log('\n| case | batch | recompute | img/s | GFLOP/s | peak tf.memory | card estimate |\n|---|---|---|---|---|---|---|');
const gib = (b: unknown) => (typeof b === 'number' ? `${(b / 2 ** 30).toFixed(2)} GiB` : '–');
for (const r of rows as Record<string, number | string | undefined>[]) {
  console.log(
    `| ${r.case} | ${r.batch} | ${r.recompute} | ${typeof r.imagesPerSec === 'number' ? r.imagesPerSec.toFixed(1) : r.error} | ${typeof r.gflops === 'number' ? r.gflops.toFixed(1) : '–'} | ${gib(r.peakBytes)} | ${gib(r.cardBytes)} |`,
  );
}
process.exit(0);
