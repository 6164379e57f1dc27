// Speed of the WASM backend in Node with workers/backend/wasm/: its conv gradient kernels
// per layer shape of our model (batch 64, 3×3, 'same'), a 1024² matmul for scale, and whole
// training steps of the default model, before and after the slow kernels are replaced, and on CPU.
//   npx tsx bench/wasm-node.ts            (about 5 min, most of it the one CPU step;
//                                                 --no-cpu skips that)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { buildModel } from '../workers/model/model';
import { lars } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';

/** Median wall time of `f` in ms, after `warmup` untimed calls; `f` returns what to dispose. */
function msPerCall(f: () => tf.TensorContainer, runs = 7, warmup = 2): number {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    tf.dispose(f()); // the WASM backend runs kernels synchronously: no readback needed
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const fmt = (v: number, w = 8, digits = 1) => v.toFixed(digits).padStart(w);

// Our model's four conv layers at its defaults (width 16, 32×32 inputs), batch 64, 3×3, 'same'.
const LAYERS = [
  { hw: 32, ci: 3, co: 16, s: 1 },
  { hw: 32, ci: 16, co: 32, s: 2 },
  { hw: 16, ci: 32, co: 64, s: 2 },
  { hw: 8, ci: 64, co: 128, s: 2 },
  { hw: 32, ci: 16, co: 16, s: 1 }, // the 3×3 conv of the brief: 32×32×16 -> 16, stride 1
];
const B = 64;

function layerTensors({ hw, ci, co, s }: (typeof LAYERS)[number]) {
  const ho = Math.ceil(hw / s);
  return {
    x: tf.randomNormal([B, hw, hw, ci]) as tf.Tensor4D,
    w: tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D,
    dy: tf.randomNormal([B, ho, ho, co]) as tf.Tensor4D,
    flops: 2 * B * ho * ho * 9 * ci * co,
  };
}

const backpropFilter = (x: tf.Tensor4D, dy: tf.Tensor4D, w: tf.Tensor4D, s: number) => () =>
  tf
    .engine()
    .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor;
const backpropInput = (x: tf.Tensor4D, dy: tf.Tensor4D, w: tf.Tensor4D, s: number) => () =>
  tf
    .engine()
    .runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor;

/** Median ms per training step of buildModel(DEFAULT_CONFIG) on 64 random 32×32 pairs; with
 * `warmup`, after one untimed step (the first also creates the optimizer's slots). */
async function msPerStep(steps: number, warmup = true): Promise<number> {
  const config = { ...DEFAULT_CONFIG };
  const model = buildModel(config);
  const optimizer = lars(config);
  const ctx = { model, optimizer, config, avt: { ema: null } };
  const x1 = tf.randomNormal([config.batchSize, config.imageSize, config.imageSize, 3]) as tf.Tensor4D;
  const x2 = tf.randomNormal([config.batchSize, config.imageSize, config.imageSize, 3]) as tf.Tensor4D;
  const times: number[] = [];
  for (let step = warmup ? 0 : 1; step <= steps; step++) {
    const t0 = performance.now();
    const row = tf.tidy(() => trainStep(ctx, x1, x2, step, 0.01).row);
    const [loss] = await row.data();
    row.dispose();
    if (!Number.isFinite(loss)) throw new Error(`step ${step} gave a loss of ${loss}`);
    if (step > 0) times.push(performance.now() - t0);
  }
  tf.dispose([x1, x2]);
  optimizer.dispose();
  model.dispose();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

registerWasmGradKernels({ replaceSlow: false }); // first the missing kernels alone
await tf.setBackend('wasm');
console.log(
  `TF.js ${tf.version.tfjs}, wasm backend in Node ${process.version}: SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ${getThreadsCount()} thread(s)`,
);

const mm = [tf.randomNormal([1024, 1024]), tf.randomNormal([1024, 1024])] as tf.Tensor2D[];
const mmMs = msPerCall(() => tf.matMul(mm[0], mm[1]), 5);
console.log(`\nMatMul 1024×1024×1024: ${mmMs.toFixed(1)} ms, ${((2 * 1024 ** 3) / mmMs / 1e6).toFixed(1)} GFLOP/s (XNNPACK, for scale)`);
tf.dispose(mm);

const own: number[] = [];
console.log(`\nbatch ${B}, 3×3, 'same'            Conv2DBackpropFilter  | Conv2D fwd (WASM) | Conv2DBackpropInput ms`);
console.log('layer                           ms   GFLOP/s  |   ms   GFLOP/s  |  WASM own    ours');
const rows: string[] = [];
for (const layer of LAYERS) {
  const { x, w, dy, flops } = layerTensors(layer);
  const filterMs = msPerCall(backpropFilter(x, dy, w, layer.s));
  const forwardMs = msPerCall(() => tf.conv2d(x, w, layer.s, 'same'));
  own.push(msPerCall(backpropInput(x, dy, w, layer.s), 3, 1));
  rows.push(
    `${`${layer.hw}x${layer.hw}x${layer.ci}->${layer.co} s${layer.s}`.padEnd(24)}${fmt(filterMs)}${fmt(flops / filterMs / 1e6, 9)}  |${fmt(forwardMs, 6)}${fmt(flops / forwardMs / 1e6, 9)}  |`,
  );
  tf.dispose([x, w, dy]);
}

const stepsBefore = await msPerStep(3);
registerWasmGradKernels(); // now also the faster Conv2DBackpropInput, Tile and BatchMatMul
LAYERS.forEach((layer, i) => {
  const { x, w, dy } = layerTensors(layer);
  console.log(`${rows[i]}${fmt(own[i], 9)}${fmt(msPerCall(backpropInput(x, dy, w, layer.s)), 8)}`);
  tf.dispose([x, w, dy]);
});
const stepsAfter = await msPerStep(5);

console.log(
  `\ntraining step, buildModel(DEFAULT_CONFIG): width ${DEFAULT_CONFIG.width}, projector ${DEFAULT_CONFIG.projector}, batch ${DEFAULT_CONFIG.batchSize}, ${DEFAULT_CONFIG.imageSize}×${DEFAULT_CONFIG.imageSize}`,
);
console.log(`  wasm, missing kernels only      ${fmt(stepsBefore, 9, 0)} ms/step`);
console.log(`  wasm, slow kernels replaced     ${fmt(stepsAfter, 9, 0)} ms/step`);
if (!process.argv.includes('--no-cpu')) {
  await tf.setBackend('cpu');
  // One step, no warmup: the CPU backend's conv gradients are scalar JS loops (minutes a step).
  console.log(`  cpu, 1 step (the first)         ${fmt(await msPerStep(1, false), 9, 0)} ms/step`);
}
