// BatchNorm + ReLU in training mode (workers/model/batchnorm.ts) on the WASM backend, as the native
// kernels (native/kernels.c bn_*): the statistics in two passes, then one pass for y; backward one
// pass for the two sums and one for dx. Without the native kernels (an unknown TF.js glue) the
// same loops run in JavaScript on the heap (model/batchnorm.ts), slower but the same numbers.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type BnRunningAttrs,
  type BnTrainAttrs,
  type BnTrainGradAttrs,
  bnRunning,
  bnTrainBackward,
  bnTrainForward,
} from '../../model/batchnorm';
import type { Info, KernelArgs } from './heap';
import { nativeKernels, offsetOf } from './native/module';

const channels = (x: Info) => x.shape[x.shape.length - 1];
const heap = (backend: BackendWasm, t: Info) => backend.typedArrayFromHeap(t) as Float32Array;

export function batchNormTrain({ inputs, backend: b, attrs }: KernelArgs<'x' | 'gamma' | 'beta'>): Info[] {
  const backend = b as BackendWasm;
  const { x, gamma, beta } = inputs;
  const { eps, relu } = attrs as unknown as BnTrainAttrs;
  const C = channels(x);
  const N = C === 0 ? 0 : x.shape.reduce((a, d) => a * d, 1) / C;
  const y = backend.makeOutput(x.shape, 'float32');
  const stats = backend.makeOutput([3, C], 'float32'); // mean, variance, invStd
  const k = nativeKernels(backend);
  if (!k) {
    const r = bnTrainForward(heap(backend, x), C, heap(backend, gamma), heap(backend, beta), { eps, relu });
    heap(backend, y).set(r.y);
    heap(backend, stats).set(r.stats);
    return [y, stats];
  }
  const scratch = backend.makeOutput([2 * C], 'float32'); // C float64
  const at = (t: Info) => offsetOf(backend, t);
  const [mean, variance, invStd] = [0, 1, 2].map((row) => at(stats) + 4 * row * C);
  const [blocks, work] = [Math.ceil(C / 4), N * C];
  // The column sums run whole: split by channels (the split that keeps their bits) every thread
  // reads every row, and two threads took longer than one (Node 20, 2 cores).
  k.exports.bn_stats(at(x), N, C, eps, mean, variance, invStd, at(scratch), 0, blocks);
  k.run('bn_relu_forward', N, work, at(x), N, C, mean, invStd, at(gamma), at(beta), at(y), relu ? 1 : 0);
  backend.disposeData(scratch.dataId);
  return [y, stats];
}

export function batchNormTrainGrad({ inputs, backend: b, attrs }: KernelArgs<'dy' | 'x' | 'y' | 'stats' | 'gamma'>): Info[] {
  const backend = b as BackendWasm;
  const { dy, x, y, stats, gamma } = inputs;
  const { relu } = attrs as unknown as BnTrainGradAttrs;
  const C = channels(x);
  const N = C === 0 ? 0 : x.shape.reduce((a, d) => a * d, 1) / C;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dGamma = backend.makeOutput([C], 'float32');
  const dBeta = backend.makeOutput([C], 'float32');
  const k = nativeKernels(backend);
  if (!k) {
    const h = (t: Info) => heap(backend, t);
    const r = bnTrainBackward(h(dy), h(x), h(y), h(stats), h(gamma), { relu });
    for (const [t, v] of [
      [dx, r.dx],
      [dGamma, r.dGamma],
      [dBeta, r.dBeta],
    ] as const)
      h(t).set(v);
    return [dx, dGamma, dBeta];
  }
  const scratch = backend.makeOutput([4 * C], 'float32'); // 2·C float64
  const at = (t: Info) => offsetOf(backend, t);
  const [mean, invStd] = [at(stats), at(stats) + 8 * C];
  const r = relu ? 1 : 0;
  const [blocks, work] = [Math.ceil(C / 4), N * C];
  k.exports.bn_relu_backward_sums(at(dy), at(y), at(x), N, C, mean, invStd, at(dBeta), at(dGamma), r, at(scratch), 0, blocks); // whole, as bn_stats
  k.run('bn_relu_backward_dx', N, work, at(dy), at(y), at(x), N, C, mean, invStd, at(gamma), at(dBeta), at(dGamma), at(dx), r);
  backend.disposeData(scratch.dataId);
  return [dx, dGamma, dBeta];
}

/** The running statistic: C values, in JavaScript on the heap. */
export function batchNormRunning({ inputs, backend: b, attrs }: KernelArgs<'running' | 'stats'>): Info {
  const backend = b as BackendWasm;
  const { running, stats } = inputs;
  const out = backend.makeOutput(running.shape, 'float32');
  heap(backend, out).set(bnRunning(heap(backend, running), heap(backend, stats), attrs as unknown as BnRunningAttrs));
  return out;
}
