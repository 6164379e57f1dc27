// BatchNorm in training mode, optionally followed by ReLU, as fused kernels that each backend may
// register: WASM (workers/backend/wasm/batchnorm.ts, native SIMD), WebGPU
// (workers/backend/webgpu-batchnorm.ts, WGSL) and the CPU (here, plain loops; also the reference
// the others are tested against). A backend without them (WebGL) takes layers.ts's composite
// route. Why fuse: the composite route was a dozen elementwise passes over every activation, a
// fifth of a default training step on WASM, and about 28 GPU dispatches per BatchNorm on WebGPU
// (docs/performance.md).
//
// Forward, over x [N, C] (every axis but the channels flattened; Ioffe & Szegedy 2015):
//   mean, var (biased) over the N rows; invStd = 1/√(var + eps); x̂ = (x − mean)·invStd;
//   y = x̂·γ + β, then max(y, 0) with relu.
// Backward, with g = dy·[y > 0] (dy without relu):
//   dβ = Σ_n g, dγ = Σ_n g·x̂, dx = γ·invStd·(g − dβ/N − x̂·dγ/N).
// Running statistics (torch): r ← (1 − m)·r + m·s, s the mean or the unbiased variance var·N/(N − 1).
// Sums run in float64 on the CPU and WASM (the mean and the squared deviations in two passes).
import * as tf from '@tensorflow/tfjs';

export const BN_TRAIN = 'VicregBatchNormTrain';
export const BN_TRAIN_GRAD = 'VicregBatchNormTrainGrad';
export const BN_RUNNING = 'VicregBatchNormRunning';

/** BN_TRAIN: inputs { x, gamma, beta }, outputs [y, stats]; stats [3, C] holds mean, variance
 *  (biased) and invStd, one row each: one tensor, so that a GPU writes it in one dispatch. */
export interface BnTrainAttrs {
  eps: number;
  relu: boolean;
}
/** BN_TRAIN_GRAD: inputs { dy, x, y, stats, gamma }, outputs [dx, dGamma, dBeta]. */
export interface BnTrainGradAttrs {
  relu: boolean;
}
/** BN_RUNNING: inputs { running, stats }, output the running statistic moved by the batch's
 *  (row 0: mean; row 1: variance, unbiased over n values). */
export interface BnRunningAttrs {
  row: 0 | 1;
  momentum: number;
  n: number;
}

/** The forward on plain arrays: x [N, C] -> y [N, C] and the per-channel statistics [3·C]. */
export function bnTrainForward(x: Float32Array, C: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, a: BnTrainAttrs) {
  const N = x.length / C;
  const stats = new Float32Array(3 * C); // mean, variance, invStd
  const sum = new Float64Array(C);
  for (let i = 0; i < x.length; i++) sum[i % C] += x[i];
  for (let c = 0; c < C; c++) stats[c] = sum[c] / N;
  sum.fill(0);
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - stats[i % C];
    sum[i % C] += d * d;
  }
  for (let c = 0; c < C; c++) {
    stats[C + c] = sum[c] / N;
    stats[2 * C + c] = 1 / Math.sqrt(stats[C + c] + a.eps);
  }
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    const o = (x[i] - stats[c]) * stats[2 * C + c] * gamma[c] + beta[c];
    y[i] = a.relu && o < 0 ? 0 : o;
  }
  return { y, stats };
}

/** The backward on plain arrays: dx [N, C], dGamma and dBeta [C]. */
export function bnTrainBackward(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  stats: ArrayLike<number>,
  gamma: ArrayLike<number>,
  a: BnTrainGradAttrs,
) {
  const C = gamma.length;
  const N = x.length / C;
  const g = (i: number) => (a.relu && !(y[i] > 0) ? 0 : dy[i]);
  const xhat = (i: number) => (x[i] - stats[i % C]) * stats[2 * C + (i % C)];
  const sb = new Float64Array(C);
  const sg = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    sb[i % C] += g(i);
    sg[i % C] += g(i) * xhat(i);
  }
  const dBeta = Float32Array.from(sb);
  const dGamma = Float32Array.from(sg);
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    dx[i] = (g(i) - dBeta[c] / N - xhat(i) * (dGamma[c] / N)) * (gamma[c] * stats[2 * C + c]);
  }
  return { dx, dGamma, dBeta };
}

/** The running statistic on plain arrays. */
export function bnRunning(running: ArrayLike<number>, stats: ArrayLike<number>, a: BnRunningAttrs): Float32Array {
  const C = running.length;
  const unbias = a.row === 1 ? a.n / Math.max(a.n - 1, 1) : 1;
  return Float32Array.from(running, (r, c) => (1 - a.momentum) * r + a.momentum * stats[a.row * C + c] * unbias);
}

// The CPU backend's kernels: the loops above on its arrays.
type CpuBackend = {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
};
type Args = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };

function cpuForward({ inputs: { x, gamma, beta }, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const v = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const C = x.shape[x.shape.length - 1];
  const r = bnTrainForward(v(x), C, v(gamma), v(beta), attrs as unknown as BnTrainAttrs);
  return [b.makeTensorInfo(x.shape, 'float32', r.y), b.makeTensorInfo([3, C], 'float32', r.stats)];
}

function cpuBackward({ inputs: { dy, x, y, stats, gamma }, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const v = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const r = bnTrainBackward(v(dy), v(x), v(y), v(stats), v(gamma), attrs as unknown as BnTrainGradAttrs);
  const C = gamma.shape[0];
  return [
    b.makeTensorInfo(x.shape, 'float32', r.dx),
    b.makeTensorInfo([C], 'float32', r.dGamma),
    b.makeTensorInfo([C], 'float32', r.dBeta),
  ];
}

function cpuRunning({ inputs: { running, stats }, backend, attrs }: Args): tf.TensorInfo {
  const b = backend as CpuBackend;
  const v = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  return b.makeTensorInfo(running.shape, 'float32', bnRunning(v(running), v(stats), attrs as unknown as BnRunningAttrs));
}

for (const [kernelName, kernelFunc] of [
  [BN_TRAIN, cpuForward],
  [BN_TRAIN_GRAD, cpuBackward],
  [BN_RUNNING, cpuRunning],
] as const) {
  if (!tf.getKernel(kernelName, 'cpu'))
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Off: every backend takes the composite route (tests compare the two). */
export const fusedOptions = { enabled: true };

/** Whether the active backend runs the fused kernels. */
export const fusedBatchNorm = () =>
  fusedOptions.enabled && [BN_TRAIN, BN_TRAIN_GRAD, BN_RUNNING].every((k) => tf.getKernel(k, tf.getBackend()) !== undefined);
