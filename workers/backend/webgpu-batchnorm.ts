// BatchNorm + ReLU in training mode (workers/model/batchnorm.ts) on TF.js 4.22's WebGPU backend, as
// WGSL programs run through its own program runner: forward two dispatches (the statistics, one
// workgroup per channel; then y), backward three (dβ and dγ, one workgroup per channel each; then
// dx), each running statistic one. TF.js's composite route took about 28 dispatches for the same.
// A TF.js program writes one output, which is why the statistics travel as one [3, C] tensor and
// the two sums are two programs.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { BN_RUNNING, BN_TRAIN, BN_TRAIN_GRAD, type BnRunningAttrs, type BnTrainAttrs, type BnTrainGradAttrs } from '../model/batchnorm';
import { float, int } from './webgpu-program';

type Info = tf.TensorInfo;
type Args = { inputs: Record<string, Info>; backend: unknown; attrs?: tf.NamedAttrMap };

/** Threads of a per-channel reduction's workgroup. */
const WG = 256;

/** The tree reduction of a workgroup's `part` (WG values): every thread gets the total. */
const REDUCE = `
  var<workgroup> part : array<f32, ${WG}>;
  fn reduce(t : u32) -> f32 {
    workgroupBarrier();
    for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
      if (t < k) { part[t] = part[t] + part[t + k]; }
      workgroupBarrier();
    }
    let total = part[0];
    workgroupBarrier();
    return total;
  }`;

/** A loop over channel c's rows n = t, t + WG, ... < N (the thread's share of a per-channel sum),
 *  with a trip count the same for every thread: WGSL's uniformity analysis refuses a barrier after
 *  a loop whose exit depends on the thread (the shader would not compile and write nothing). */
const rows = (body: string) => `
      for (var k = 0; k < (uniforms.N + ${WG - 1}) / ${WG}; k = k + 1) {
        let n = k * ${WG} + i32(t);
        if (n < uniforms.N) { ${body} }
      }`;

/** g = dy, zeroed where the ReLU was off. */
const grad = (relu: boolean) => `var g = dy[i];${relu ? ' if (!(y[i] > 0.0)) { g = 0.0; }' : ''}`;

abstract class Program implements WebGPUProgram {
  abstract variableNames: string[];
  abstract shaderKey: string;
  abstract uniforms: string;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size = true;
  /** Per channel: one workgroup of WG threads for each of C channels; else one thread per value. */
  constructor(outputShape: number[], perChannel: number | null) {
    this.outputShape = outputShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.workgroupSize = perChannel === null ? [128, 1, 1] : [WG, 1, 1];
    this.dispatch =
      perChannel === null ? webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize) : [perChannel, 1, 1];
  }
  abstract getUserCode(): string;
}

/** mean, variance (biased), invStd of x [N, C] into [3, C]: two passes, as the CPU's. */
class Stats extends Program {
  variableNames = ['x'];
  uniforms = 'N : i32, C : i32, eps : f32,';
  shaderKey = 'vicreg_bn_stats';
  constructor(C: number) {
    super([3, C], C);
  }
  getUserCode() {
    return `${REDUCE}
    fn main(index : i32) {
      let c = i32(workgroupId.x);
      let t = localId.x;
      var s = 0.0;${rows('s = s + x[n * uniforms.C + c];')}
      part[t] = s;
      let mean = reduce(t) / f32(uniforms.N);
      var q = 0.0;${rows('let d = x[n * uniforms.C + c] - mean; q = q + d * d;')}
      part[t] = q;
      let variance = reduce(t) / f32(uniforms.N);
      if (t == 0u) {
        setOutputAtIndex(c, mean);
        setOutputAtIndex(uniforms.C + c, variance);
        setOutputAtIndex(2 * uniforms.C + c, inverseSqrt(variance + uniforms.eps));
      }
    }`;
  }
}

/** y = (x − mean)·invStd·γ + β, then ReLU, over x [N, C]. */
class Apply extends Program {
  variableNames = ['x', 'stats', 'gamma', 'beta'];
  uniforms = 'C : i32,';
  shaderKey: string;
  constructor(
    shape: number[],
    private readonly relu: boolean,
  ) {
    super(shape, null);
    this.shaderKey = `vicreg_bn_apply_${relu}`;
  }
  getUserCode() {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let c = index % uniforms.C;
        var o = (x[index] - stats[c]) * stats[2 * uniforms.C + c] * gamma[c] + beta[c];
        ${this.relu ? 'o = max(o, 0.0);' : ''}
        setOutputAtIndex(index, o);
      }
    }`;
  }
}

/** The inputs a backward program reads: y only for the ReLU's mask, x and the statistics only for
 *  x̂. (A pipeline laid out 'auto' leaves out the bindings its shader never reads, and TF.js binds
 *  every input: an unread input makes the whole command buffer invalid.) */
const backwardInputs = (relu: boolean, xhat: boolean) => ['dy', ...(relu ? ['y'] : []), ...(xhat ? ['x', 'stats'] : [])];

/** dβ = Σ_n g (or dγ = Σ_n g·x̂), one workgroup per channel. */
class Sum extends Program {
  variableNames: string[];
  uniforms = 'N : i32, C : i32,';
  shaderKey: string;
  constructor(
    C: number,
    private readonly relu: boolean,
    private readonly ofXhat: boolean,
  ) {
    super([C], C);
    this.variableNames = backwardInputs(relu, ofXhat);
    this.shaderKey = `vicreg_bn_sum_${relu}_${ofXhat}`;
  }
  getUserCode() {
    return `${REDUCE}
    fn main(index : i32) {
      let c = i32(workgroupId.x);
      let t = localId.x;
      ${this.ofXhat ? 'let m = stats[c]; let s = stats[2 * uniforms.C + c];' : ''}
      var acc = 0.0;${rows(`let i = n * uniforms.C + c; ${grad(this.relu)} acc = acc + ${this.ofXhat ? 'g * ((x[i] - m) * s)' : 'g'};`)}
      part[t] = acc;
      let total = reduce(t);
      if (t == 0u) { setOutputAtIndex(c, total); }
    }`;
  }
}

/** dx = γ·invStd·(g − dβ/N − x̂·dγ/N) over [N, C]. */
class Dx extends Program {
  variableNames: string[];
  uniforms = 'N : i32, C : i32,';
  shaderKey: string;
  constructor(
    shape: number[],
    private readonly relu: boolean,
  ) {
    super(shape, null);
    this.variableNames = [...backwardInputs(relu, true), 'gamma', 'dBeta', 'dGamma'];
    this.shaderKey = `vicreg_bn_dx_${relu}`;
  }
  getUserCode() {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let i = index;
        let c = index % uniforms.C;
        ${grad(this.relu)}
        let s = stats[2 * uniforms.C + c];
        let xh = (x[i] - stats[c]) * s;
        let n = f32(uniforms.N);
        setOutputAtIndex(index, (g - dBeta[c] / n - xh * (dGamma[c] / n)) * (gamma[c] * s));
      }
    }`;
  }
}

/** (1 − m)·r + m·stats[row]·unbias over the C channels. */
class Running extends Program {
  variableNames = ['running', 'stats'];
  uniforms = 'C : i32, row : i32, momentum : f32, unbias : f32,';
  shaderKey = 'vicreg_bn_running';
  constructor(C: number) {
    super([C], null);
  }
  getUserCode() {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let stat = stats[uniforms.row * uniforms.C + index] * uniforms.unbias;
        setOutputAtIndex(index, (1.0 - uniforms.momentum) * running[index] + uniforms.momentum * stat);
      }
    }`;
  }
}

const sizes = (x: Info) => {
  const C = x.shape[x.shape.length - 1];
  return { C, N: C === 0 ? 0 : tf.util.sizeFromShape(x.shape) / C };
};

function forward({ inputs: { x, gamma, beta }, backend, attrs }: Args): Info[] {
  const b = backend as WebGPUBackend;
  const { eps, relu } = attrs as unknown as BnTrainAttrs;
  const { N, C } = sizes(x);
  const stats = b.runWebGPUProgram(new Stats(C), [x], 'float32', [int(N), int(C), float(eps)]);
  const y = b.runWebGPUProgram(new Apply(x.shape, relu), [x, stats, gamma, beta], 'float32', [int(C)]);
  return [y, stats];
}

function backward({ inputs: { dy, x, y, stats, gamma }, backend, attrs }: Args): Info[] {
  const b = backend as WebGPUBackend;
  const { relu } = attrs as unknown as BnTrainGradAttrs;
  const { N, C } = sizes(x);
  const u = [int(N), int(C)];
  const read = (xhat: boolean) => [dy, ...(relu ? [y] : []), ...(xhat ? [x, stats] : [])];
  const dBeta = b.runWebGPUProgram(new Sum(C, relu, false), read(false), 'float32', u);
  const dGamma = b.runWebGPUProgram(new Sum(C, relu, true), read(true), 'float32', u);
  const dx = b.runWebGPUProgram(new Dx(x.shape, relu), [...read(true), gamma, dBeta, dGamma], 'float32', u);
  return [dx, dGamma, dBeta];
}

function running({ inputs: { running: r, stats }, backend, attrs }: Args): Info {
  const { row, momentum, n } = attrs as unknown as BnRunningAttrs;
  const C = r.shape[0];
  const unbias = row === 1 ? n / Math.max(n - 1, 1) : 1;
  return (backend as WebGPUBackend).runWebGPUProgram(new Running(C), [r, stats], 'float32', [
    int(C),
    int(row),
    float(momentum),
    float(unbias),
  ]);
}

/** Registers the three kernels on webgpu; safe to call again. */
export function registerWebgpuBatchNorm(): void {
  for (const [kernelName, kernelFunc] of [
    [BN_TRAIN, forward],
    [BN_TRAIN_GRAD, backward],
    [BN_RUNNING, running],
  ] as const) {
    if (!tf.getKernel(kernelName, 'webgpu'))
      tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
