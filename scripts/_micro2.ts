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
for (const { hw, ci, co, s } of [{ hw: 32, ci: 3, co: 24, s: 1 }, { hw: 32, ci: 24, co: 48, s: 2 }, { hw: 16, ci: 48, co: 96, s: 2 }, { hw: 8, ci: 96, co: 192, s: 2 }]) {
  const ho = Math.ceil(hw / s);
  const x = tf.randomNormal([B, hw, hw, ci]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
  const dy = tf.randomNormal([B, ho, ho, co]) as tf.Tensor4D;
  const flops = 2 * B * ho * ho * 9 * ci * co;
  const cur = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor;
  const fwd = () => tf.conv2d(x, w, s, 'same');
  // filter grad as a forward conv: input xᵀ [Ci, H, W, B], filter dyᵀ [Ho, Wo, B, Co], dilation s
  const padTotal = Math.max((ho - 1) * s + 3 - hw, 0); const top = Math.floor(padTotal / 2); const bottom = padTotal - top;
  const asConv = () => tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const out = tf.conv2d(xt, f, 1, [[0, 0], [top, bottom], [top, bottom], [0, 0]], 'NHWC', s); // [Ci, 3, 3, Co]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
  const a = cur(), b = asConv();
  const err = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0];
  const tc = ms(cur), tv = ms(asConv), tfw = ms(fwd);
  const tt = ms(() => [tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3])]);
  const g = (t: number) => `${t.toFixed(1)} ms (${(flops / t / 1e6).toFixed(1)} GF/s)`;
  console.log(`${hw}x${hw}x${ci}->${co} s${s}: forward ${g(tfw)}; filter grad now ${g(tc)}, as conv ${g(tv)} (transposes ${tt.toFixed(1)}), err ${err.toExponential(1)}`);
}
