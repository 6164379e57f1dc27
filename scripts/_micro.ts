import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm-grads';
registerWasmGradKernels();
await tf.setBackend('wasm');
registerWasmGradKernels();
function ms(f: () => tf.TensorContainer, runs = 9): number {
  const t: number[] = [];
  for (let i = 0; i < runs + 2; i++) { const t0 = performance.now(); tf.dispose(f()); if (i >= 2) t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
for (const [B, H, C] of [[64, 32, 24], [64, 16, 48], [64, 8, 96], [64, 4, 192]]) {
  const x = tf.randomNormal([B, H, H, C]) as tf.Tensor4D;
  const mean = ms(() => tf.mean(x, [0, 1, 2]));
  const pool = ms(() => tf.avgPool(tf.reshape(x, [1, B * H, H, C]) as tf.Tensor4D, [B * H, H], 1, 'valid'));
  const pool2 = ms(() => tf.tidy(() => { const p = tf.avgPool(tf.reshape(x, [B, H * H, 1, C]) as tf.Tensor4D, [H * H, 1], 1, 'valid'); return tf.avgPool(tf.reshape(p, [1, B, 1, C]) as tf.Tensor4D, [B, 1], 1, 'valid'); }));
  const a = tf.mean(x, [0, 1, 2]); const b = tf.reshape(tf.avgPool(tf.reshape(x, [1, B * H, H, C]) as tf.Tensor4D, [B * H, H], 1, 'valid'), [C]);
  const err = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  const sub = ms(() => tf.sub(x, a));
  const mul = ms(() => tf.mul(x, x));
  console.log(`[${B},${H},${H},${C}] mean ${mean.toFixed(2)} ms, avgPool ${pool.toFixed(2)}, 2-stage ${pool2.toFixed(2)}, err ${err.toExponential(1)}; sub-bcast ${sub.toFixed(2)}, mul ${mul.toFixed(2)}`);
}
