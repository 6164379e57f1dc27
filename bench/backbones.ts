// Training-step speed of every backbone on the WASM backend in Node (one thread, with the studio's
// gradient kernels), at a reduced size that a laptop runs in seconds, with the model card's
// parameters and FLOPs beside it. For the numbers in notes and issue comments.
//   npx tsx bench/backbones.ts              (BACKEND=cpu for TF.js's CPU backend)
//   npx tsx bench/backbones.ts resnet18     (only the named backbones)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { BACKBONES, DEFAULT_CONFIG, type TrainConfig } from '../workers/contract/config';
import { modelCard } from '../workers/model/card';
import { buildModel } from '../workers/model/model';
import { makeOptimizer } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';

/** The reduced size: batch 32 at 32 px, widthMult 0.25 (ViT: patch 8, depth 4), projector 512-512. */
const REDUCED: Partial<TrainConfig> = {
  batchSize: 32,
  imageSize: 32,
  widthMult: 0.25,
  width: 16,
  patchSize: 8,
  vitDepth: 4,
  projector: '512-512',
  stem: 'cifar',
};

async function imagesPerSecond(config: TrainConfig, steps = 3): Promise<number> {
  const model = buildModel(config);
  const optimizer = makeOptimizer(config);
  const ctx = { model, optimizer, config, avt: { ema: null } };
  const shape: [number, number, number, number] = [config.batchSize, config.imageSize, config.imageSize, 3];
  const x1 = tf.randomUniform(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
  const x2 = tf.randomUniform(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
  const times: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const t0 = performance.now();
    const row = tf.tidy(() => trainStep(ctx, x1, x2, step + 1, 0.01).row);
    const [loss] = await row.data();
    row.dispose();
    if (!Number.isFinite(loss)) throw new Error(`${config.backbone}: step ${step} gave a loss of ${loss}`);
    if (step > 0) times.push(performance.now() - t0); // step 0 creates the optimizer slots
  }
  tf.dispose([x1, x2]);
  optimizer.dispose();
  model.dispose();
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  return (1000 * config.batchSize) / median;
}

registerWasmGradKernels();
await tf.setBackend(process.env.BACKEND ?? 'wasm');
const only = process.argv.slice(2);
console.log(`${tf.getBackend()}, Node ${process.version}; reduced size: ${JSON.stringify(REDUCED)}`);
for (const backbone of BACKBONES.filter((b) => only.length === 0 || only.includes(b))) {
  const c = { ...DEFAULT_CONFIG, ...REDUCED, backbone };
  const card = modelCard(c);
  const ips = await imagesPerSecond(c);
  console.log(
    `${backbone.padEnd(12)} params ${(card.params.backbone / 1e6).toFixed(3)} M  ${(card.flops.backbone / 1e6).toFixed(1).padStart(7)} MFLOPs/image  ${ips.toFixed(1).padStart(7)} images/s`,
  );
}
