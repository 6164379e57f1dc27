import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
function ms(f: () => tf.TensorContainer, runs = 9): number {
  const t: number[] = [];
  for (let i = 0; i < runs + 2; i++) { const t0 = performance.now(); tf.dispose(f()); if (i >= 2) t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
for (const [B, R, C] of [[64, 34 * 34, 3], [64, 34 * 34, 24], [64, 17 * 34, 48], [64, 9 * 18, 96], [64, 256, 48]]) {
  const x = tf.randomNormal([B, R, C]);
  const n = B * R * C;
  const r = (p: number[]) => (ms(() => tf.transpose(x, p)) * 1e6 / n).toFixed(2);
  const x2 = tf.reshape(x, [B, R * C]);
  const t2 = (ms(() => tf.transpose(x2)) * 1e6 / n).toFixed(2);
  const x4 = tf.reshape(x, [B, R, 1, C]);
  const t4 = (ms(() => tf.transpose(x4, [3, 1, 2, 0])) * 1e6 / n).toFixed(2);
  const cp = (ms(() => tf.clone(x).add(0)) * 1e6 / n).toFixed(2);
  console.log(`[${B},${R},${C}] ns/value: perm[2,1,0] ${r([2, 1, 0])}, perm[1,0,2] ${r([1, 0, 2])}, perm[0,2,1] ${r([0, 2, 1])}, 2-D ${t2}, 4-D [3,1,2,0] ${t4}, add0 ${cp}`);
}
