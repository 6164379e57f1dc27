// Where a training step's time goes: tf.profile of one step of the studio's model on the WASM
// backend in Node (single thread, with workers/backend/wasm/), kernels summed by name.
//   npx tsx bench/profile-step.ts ["preset=quick&batchSize=64"]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { configFromHash } from '../workers/contract/url';
import { modelCard } from '../workers/model/card';
import { buildModel } from '../workers/model/model';
import { makeOptimizer } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';

registerWasmGradKernels();
await tf.setBackend('wasm');
registerWasmGradKernels();
const { config: c } = configFromHash(process.argv[2] ?? '', DEFAULT_CONFIG);
const model = buildModel(c);
const ctx = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null } };
const x1 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const x2 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const step = (i: number) => tf.tidy(() => trainStep(ctx, x1, x2, i, 0.01).row);
for (let i = 0; i < 2; i++) tf.dispose(step(i)); // warm-up
const t0 = performance.now();
for (let i = 0; i < 3; i++) await step(i).data(), undefined;
const wall = (performance.now() - t0) / 3;
const info = await tf.profile(() => step(3));
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += Number(k.kernelTimeMs);
  e.calls++;
  byKernel.set(k.name, e);
}
const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
const flops = 6 * modelCard(c).flops.total * c.batchSize;
console.log(`${c.backbone} width ${c.width} ×${c.widthMult}, ${c.imageSize} px, batch ${c.batchSize}, projector ${c.projector}`);
console.log(
  `step ${wall.toFixed(0)} ms wall (${((1000 * c.batchSize) / wall).toFixed(1)} img/s, ${(flops / wall / 1e6).toFixed(2)} GFLOP/s); kernels ${total.toFixed(0)} ms over ${info.kernels.length} calls`,
);
for (const [name, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18)) {
  console.log(
    `${name.padEnd(26)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.calls).padStart(4)} calls`,
  );
}
