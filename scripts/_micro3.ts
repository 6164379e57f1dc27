import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm-grads';
registerWasmGradKernels();
await tf.setBackend('wasm');
registerWasmGradKernels();
function ms(f: () => tf.TensorContainer, runs = 7): number {
  const t: number[] = [];
  for (let i = 0; i < runs + 2; i++) { const t0 = performance.now(); tf.dispose(f()); if (i >= 2) t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
for (const [M, K, N] of [[216, 18496, 48], [27, 65536, 24], [432, 4624, 96], [864, 1296, 192], [18496, 48, 24], [64*16*16, 48, 24*9], [512,64,512],[64,512,512]]) {
  const a = tf.randomNormal([M, K]); const b = tf.randomNormal([K, N]);
  const t = ms(() => tf.matMul(a, b));
  const bt = tf.randomNormal([N, K]);
  const t2 = ms(() => tf.matMul(bt, a, false, true));
  console.log(`[${M}x${K}]x[${K}x${N}]: ${t.toFixed(2)} ms, ${(2 * M * K * N / t / 1e6).toFixed(1)} GF/s; as [N,K]x[M,K]^T ${t2.toFixed(2)} ms`);
}
const big = tf.randomNormal([1024, 1024]);
const t = ms(() => tf.matMul(big, big));
console.log(`1024^2: ${(2 * 1024 ** 3 / t / 1e6).toFixed(1)} GF/s`);
