import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
function ms(f: () => tf.TensorContainer, runs = 7): number {
  const t: number[] = [];
  for (let i = 0; i < runs + 2; i++) { const t0 = performance.now(); tf.dispose(f()); if (i >= 2) t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
for (const [M, K, N] of [[216, 18496, 48], [27, 73984, 24], [864, 1600, 192], [8, 65536, 24], [8, 65536, 8], [8, 8192, 192], [8, 1024, 1536]]) {
  const a = tf.randomNormal([M, K]); const b = tf.randomNormal([K, N]);
  const cached = ms(() => tf.matMul(a, b));
  const fresh = ms(() => { const bb = tf.clone(b); const r = tf.matMul(a, bb); bb.dispose(); return r; });
  const clone = ms(() => tf.clone(b));
  const pack = fresh - cached - clone;
  console.log(`[${M}x${K}]x[${K}x${N}]: cached ${cached.toFixed(2)} ms, fresh b ${fresh.toFixed(2)} ms → packing ≈ ${pack.toFixed(2)} ms = ${(pack * 1e6 / (K * N)).toFixed(1)} ns/value`);
}
