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
const B = 64;
for (const { hw, ci, co, s } of [{ hw: 32, ci: 24, co: 48, s: 2 }, { hw: 16, ci: 48, co: 96, s: 2 }, { hw: 8, ci: 96, co: 192, s: 2 }, { hw: 32, ci: 24, co: 24, s: 1 }]) {
  const ho = Math.ceil(hw / s);
  const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
  const dy = tf.randomNormal([B, ho, ho, co]) as tf.Tensor4D;
  const flops = 2 * B * ho * ho * 9 * ci * co;
  const cur = () => { const ww = tf.clone(w); const r = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ww }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [B, hw, hw, ci] }) as tf.Tensor; ww.dispose(); return r; };
  // stride-1 conv of dy with the flipped, transposed kernel: same FLOPs on the dy grid
  const fwd = () => { const ww = tf.clone(tf.transpose(w, [0, 1, 3, 2])); const r = tf.conv2d(dy, ww as tf.Tensor4D, 1, 'same'); ww.dispose(); return r; };
  const g = (t: number) => `${t.toFixed(1)} ms (${(flops / t / 1e6).toFixed(1)} GF/s)`;
  console.log(`${hw}x${ci}<-${co} s${s}: input grad now ${g(ms(cur))}; a forward conv with as many FLOPs ${g(ms(fwd) * (s === 1 ? 1 : 1))}`);
}
