// Interleaved A/B of one WASM kernel inside whole training steps (Node, one thread): an older
// version of the kernel module against the current one, alternating every two steps, so the
// machine's drift (±10% between runs on a shared 2-core VM) hits both alike. Separate runs of
// bench/profile-step.ts could not tell an 8% change from noise here; this could.
//   git show HEAD~3:workers/backend/wasm-grads.ts > workers/backend/wasm-grads.old.ts
//   npx tsx bench/ab-kernel.ts workers/backend/wasm-grads.old.ts Conv2DBackpropFilter "preset=quick-cpu"
//   rm workers/backend/wasm-grads.old.ts
// (The old copy sits beside the current one so that its relative imports resolve.)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerWasmGradKernels } from '../workers/backend/wasm-grads';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { configFromHash } from '../workers/contract/url';
import { buildModel } from '../workers/model/model';
import { makeOptimizer } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';

const [oldPath, name = 'Conv2DBackpropFilter', hash = 'preset=quick-cpu', rounds = '8'] = process.argv.slice(2);
if (!oldPath)
  throw new Error('usage: npx tsx bench/ab-kernel.ts <old module exporting registerWasmGradKernels> [kernel] [config hash] [rounds]');
const old = (await import(pathToFileURL(resolve(oldPath)).href)) as { registerWasmGradKernels(): void };

// The old module registers first; its kernel is kept, then the current one replaces it (a kernel
// TF.js lacks is only registered where none is, so that one is unregistered first).
old.registerWasmGradKernels();
await tf.setBackend('wasm');
old.registerWasmGradKernels();
const oldKernel = tf.getKernel(name, 'wasm');
if (!oldKernel) throw new Error(`the old module registers no ${name} on wasm`);
registerWasmGradKernels();
if (tf.getKernel(name, 'wasm')?.kernelFunc === oldKernel.kernelFunc) {
  tf.unregisterKernel(name, 'wasm');
  registerWasmGradKernels();
}
const kernels = { old: oldKernel, new: tf.getKernel(name, 'wasm')! };
if (!kernels.new || kernels.old.kernelFunc === kernels.new.kernelFunc) throw new Error(`the current modules register no other ${name}`);
const use = (k: tf.KernelConfig) => {
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...k, setupFunc: undefined }); // the backend is set up already
};

const { config: c } = configFromHash(hash, DEFAULT_CONFIG);
const model = buildModel(c);
const ctx = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null } };
const x1 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const x2 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const step = async (i: number) => {
  const t0 = performance.now();
  const row = tf.tidy(() => trainStep(ctx, x1, x2, i, 0.01).row);
  await row.data();
  row.dispose();
  return performance.now() - t0;
};
const times: Record<'old' | 'new', number[]> = { old: [], new: [] };
for (let r = 0; r < Number(rounds); r++) {
  for (const label of ['old', 'new'] as const) {
    use(kernels[label]);
    await step(0); // one untimed step after each switch
    times[label].push(await step(1), await step(2));
  }
}
console.log(
  `${name}, ${c.backbone} width ${c.width}, ${c.imageSize} px, batch ${c.batchSize}: whole training steps, ${rounds} interleaved rounds`,
);
for (const label of ['old', 'new'] as const) {
  const t = times[label].sort((a, b) => a - b);
  console.log(`${label}: min ${t[0].toFixed(0)} ms, median ${t[t.length >> 1].toFixed(0)} ms`);
}
