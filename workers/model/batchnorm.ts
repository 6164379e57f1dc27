// BatchNorm in training mode, optionally followed by ReLU, as two fused kernels (forward and
// backward) that each backend may register: WASM (workers/backend/wasm/batchnorm.ts, native SIMD),
// WebGPU (workers/backend/webgpu-batchnorm.ts, WGSL) and the CPU (here, plain loops; also the
// reference the others are tested against). A backend without them (WebGL) takes layers.ts's
// composite route. Why fuse: the composite route was a dozen elementwise passes over every
// activation, a fifth of a default training step on WASM (docs/performance.md).
//
// Forward, over x [N, C] (every axis but the channels flattened; Ioffe & Szegedy 2015):
//   mean, var (biased) over the N rows; invStd = 1/√(var + eps); x̂ = (x − mean)·invStd;
//   y = x̂·γ + β, then max(y, 0) with relu.
// Backward, with g = dy·[y > 0] (dy without relu):
//   dβ = Σ_n g, dγ = Σ_n g·x̂, dx = γ·invStd·(g − dβ/N − x̂·dγ/N).
// Sums run in float64 (the mean and the squared deviations in two passes).
import * as tf from '@tensorflow/tfjs';

export const BN_TRAIN = 'VicregBatchNormTrain';
export const BN_TRAIN_GRAD = 'VicregBatchNormTrainGrad';

/** BN_TRAIN: inputs { x, gamma, beta }, outputs [y, mean, variance, invStd]. */
export interface BnTrainAttrs {
  eps: number;
  relu: boolean;
}
/** BN_TRAIN_GRAD: inputs { dy, x, y, mean, invStd, gamma }, outputs [dx, dGamma, dBeta]. */
export interface BnTrainGradAttrs {
  relu: boolean;
}

/** The forward on plain arrays: x [N, C] -> y [N, C] and the per-channel statistics. */
export function bnTrainForward(x: Float32Array, C: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, a: BnTrainAttrs) {
  const N = x.length / C;
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  const invStd = new Float32Array(C);
  const sum = new Float64Array(C);
  for (let i = 0; i < x.length; i++) sum[i % C] += x[i];
  for (let c = 0; c < C; c++) mean[c] = sum[c] / N;
  sum.fill(0);
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean[i % C];
    sum[i % C] += d * d;
  }
  for (let c = 0; c < C; c++) {
    variance[c] = sum[c] / N;
    invStd[c] = 1 / Math.sqrt(variance[c] + a.eps);
  }
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    const o = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
    y[i] = a.relu && o < 0 ? 0 : o;
  }
  return { y, mean, variance, invStd };
}

/** The backward on plain arrays: dx [N, C], dGamma and dBeta [C]. */
export function bnTrainBackward(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
  gamma: ArrayLike<number>,
  a: BnTrainGradAttrs,
) {
  const C = mean.length;
  const N = x.length / C;
  const g = (i: number) => (a.relu && !(y[i] > 0) ? 0 : dy[i]);
  const xhat = (i: number) => (x[i] - mean[i % C]) * invStd[i % C];
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
    dx[i] = (g(i) - dBeta[c] / N - xhat(i) * (dGamma[c] / N)) * (gamma[c] * invStd[c]);
  }
  return { dx, dGamma, dBeta };
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
  return [b.makeTensorInfo(x.shape, 'float32', r.y), ...[r.mean, r.variance, r.invStd].map((s) => b.makeTensorInfo([C], 'float32', s))];
}

function cpuBackward({ inputs: { dy, x, y, mean, invStd, gamma }, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as CpuBackend;
  const v = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const r = bnTrainBackward(v(dy), v(x), v(y), v(mean), v(invStd), v(gamma), attrs as unknown as BnTrainGradAttrs);
  const C = mean.shape[0];
  return [
    b.makeTensorInfo(x.shape, 'float32', r.dx),
    b.makeTensorInfo([C], 'float32', r.dGamma),
    b.makeTensorInfo([C], 'float32', r.dBeta),
  ];
}

for (const [kernelName, kernelFunc] of [
  [BN_TRAIN, cpuForward],
  [BN_TRAIN_GRAD, cpuBackward],
] as const) {
  if (!tf.getKernel(kernelName, 'cpu'))
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Off: every backend takes the composite route (tests compare the two). */
export const fusedOptions = { enabled: true };

/** Whether the active backend runs the fused kernels. */
export const fusedBatchNorm = () =>
  fusedOptions.enabled &&
  tf.getKernel(BN_TRAIN, tf.getBackend()) !== undefined &&
  tf.getKernel(BN_TRAIN_GRAD, tf.getBackend()) !== undefined;
