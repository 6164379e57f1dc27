import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../workers/backend/wasm-grads';
registerWasmGradKernels();
await tf.setBackend('wasm');
registerWasmGradKernels();
const B = 64;
for (const { hw, ci, co, s } of [{ hw: 32, ci: 3, co: 24, s: 1 }, { hw: 32, ci: 24, co: 48, s: 2 }, { hw: 16, ci: 48, co: 96, s: 2 }, { hw: 8, ci: 96, co: 192, s: 2 }]) {
  const ho = Math.ceil(hw / s);
  const x = tf.randomNormal([B, hw, hw, ci]) as tf.Tensor4D;
  const dy = tf.randomNormal([B, ho, ho, co]) as tf.Tensor4D;
  const cur = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] }) as tf.Tensor;
  for (let i = 0; i < 2; i++) tf.dispose(cur());
  (globalThis as any).__T = {};
  for (let i = 0; i < 5; i++) tf.dispose(cur());
  const T = (globalThis as any).__T; for (const k in T) T[k] = +(T[k] / 5).toFixed(2);
  (globalThis as any).__T = undefined;
  console.log(`${hw}x${ci}->${co} s${s}`, JSON.stringify(T));
}
