// Benchmark worker for the baseline: the same VICReg step written the plain TF.js way, a
// tfjs-layers encoder and projector trained with `optimizer.minimize`, and none of the studio's
// kernels (so, as in stock TF.js 4.22, convolutions cannot train on WASM: tensorflow/tfjs#8474).
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { encoderLayers, projectorLayers } from '../../workers/checkpoint/layers-model';
import type { BackendName, TrainConfig } from '../../workers/contract/config';
import { buildModel } from '../../workers/model/model';
import { vicregLoss } from '../../workers/vicreg/loss';
import { matMulCeiling, randomViews, timeLossSteps } from './timing';
import { errorMessage } from '../../workers/contract/errors';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // as the studio (see workers/backend/select.ts)

const api = {
  async use(name: BackendName): Promise<{ ok: boolean; reason?: string }> {
    try {
      const ok = await tf.setBackend(name);
      await tf.ready();
      return ok ? { ok } : { ok, reason: 'not available in this browser' };
    } catch (e) {
      return { ok: false, reason: errorMessage(e) };
    }
  },
  ceiling: (n: number) => matMulCeiling(n),
  async step(config: TrainConfig) {
    // The studio's initial weights, copied into layers models of the same architecture.
    const studio = buildModel(config);
    const byName = new Map(studio.store.params.map((p) => [p.name, p.variable]));
    const get = (name: string) => byName.get(name)!.clone();
    const encoder = encoderLayers(config, get);
    const projector = projectorLayers(config, studio.backbone.featureDim, get);
    studio.dispose();
    const optimizer = tf.train.momentum(0.01, 0.9);
    const [x1, x2] = randomViews(config.batchSize, config.imageSize);
    const embed = (x: tf.Tensor4D) => projector.apply(encoder.apply(x, { training: true }), { training: true }) as tf.Tensor2D;
    try {
      return await timeLossSteps(
        () => optimizer.minimize(() => vicregLoss(embed(x1), embed(x2), config, { ema: null }, false).loss as tf.Scalar, true)!,
        config.batchSize,
      );
    } finally {
      tf.dispose([x1, x2]);
      optimizer.dispose();
      encoder.dispose();
      projector.dispose();
    }
  },
};

export type PlainBench = typeof api;
Comlink.expose(api);
