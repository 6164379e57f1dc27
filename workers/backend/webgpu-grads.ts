// Conv2DBackpropFilter for TF.js 4.22's WebGPU backend. Its own (Conv2DDerFilterProgram,
// tfjs-backend-webgpu/src/conv_backprop_webgpu.ts) runs one GPU thread per filter value, each
// looping over every batch position: a 3×3×3×24 first-layer filter is 648 threads doing 65,536
// serial steps each at batch 64 and 32 px, a few workgroups on a GPU built for thousands. An
// earlier version here was im2col and one matmul from the backend's own kernels (a StridedSlice
// per tap, Concat, BatchMatMul): thirteen dispatches a call at a 3×3 kernel, a fifth of a default
// step's. This one is two WGSL programs, split-K: each workgroup sums a chunk of the batch
// positions for a tile of 8 filter rows (tap, input channel) × 64 output channels, reading x in
// place (no im2col, no padding copy), and a second program adds the chunks up.
// Semantics are the CPU backend's kernel of the same name; NCHW goes through NHWC.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram, int } from './webgpu-program';

type Info = tf.TensorInfo;
type Args = { inputs: { x: Info; dy: Info }; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** Filter rows (tap, input channel) a thread accumulates, and output channels of a workgroup. */
const ROWS = 8;
const COLS = 64;
/** Batch positions per split-K chunk: enough chunks to fill a GPU, each long enough to be worth one. */
export const WEBGPU_FILTER_CHUNK = { positions: 1024 };

/**
 * partial[z, r, co] = Σ_{p in chunk z} x'[p, tap(r), ci(r)] · dy[p, co], for r = (i·kw + j)·Ci + ci
 * and p = (b, y, x) over the output grid: thread co of a workgroup holds ROWS rows of one column.
 */
class FilterPartial implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms =
    'B : i32, H : i32, W : i32, Ci : i32, Ho : i32, Wo : i32, Co : i32, kw : i32, sh : i32, sw : i32, pt : i32, pl : i32, R : i32, chunk : i32, K : i32,';
  shaderKey = 'vicreg_conv_filter_partial';
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [COLS, 1, 1];
  constructor(chunks: number, R: number, Co: number) {
    this.outputShape = [chunks, R, Co];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = [Math.ceil(Co / COLS), Math.ceil(R / ROWS), chunks];
  }
  getUserCode() {
    return `
    fn main(index : i32) {
      let co = i32(workgroupId.x) * ${COLS} + i32(localId.x);
      let r0 = i32(workgroupId.y) * ${ROWS};
      let z = i32(workgroupId.z);
      var acc : array<f32, ${ROWS}>;
      // Where each of the tile's rows reads x: its tap (i, j) and input channel.
      var ri : array<i32, ${ROWS}>;
      var rj : array<i32, ${ROWS}>;
      var rc : array<i32, ${ROWS}>;
      for (var m = 0; m < ${ROWS}; m = m + 1) {
        let r = min(r0 + m, uniforms.R - 1);
        let tap = r / uniforms.Ci;
        ri[m] = tap / uniforms.kw;
        rj[m] = tap % uniforms.kw;
        rc[m] = r % uniforms.Ci;
        acc[m] = 0.0;
      }
      let p1 = min((z + 1) * uniforms.chunk, uniforms.K);
      for (var p = z * uniforms.chunk; p < p1; p = p + 1) {
        let ox = p % uniforms.Wo;
        let oy = (p / uniforms.Wo) % uniforms.Ho;
        let b = p / (uniforms.Wo * uniforms.Ho);
        var d = 0.0;
        if (co < uniforms.Co) { d = dy[p * uniforms.Co + co]; }
        for (var m = 0; m < ${ROWS}; m = m + 1) {
          let iy = oy * uniforms.sh + ri[m] - uniforms.pt;
          let ix = ox * uniforms.sw + rj[m] - uniforms.pl;
          if (iy >= 0 && iy < uniforms.H && ix >= 0 && ix < uniforms.W) {
            acc[m] = acc[m] + x[((b * uniforms.H + iy) * uniforms.W + ix) * uniforms.Ci + rc[m]] * d;
          }
        }
      }
      if (co < uniforms.Co) {
        for (var m = 0; m < ${ROWS}; m = m + 1) {
          if (r0 + m < uniforms.R) { setOutputAtIndex((z * uniforms.R + r0 + m) * uniforms.Co + co, acc[m]); }
        }
      }
    }`;
  }
}

/** dW[r, co] = Σ_z partial[z, r, co]. */
class FilterSum extends FlatProgram {
  variableNames = ['partial'];
  uniforms = 'chunks : i32,';
  shaderKey = 'vicreg_conv_filter_sum';
  getUserCode() {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        var s = 0.0;
        for (var z = 0; z < uniforms.chunks; z = z + 1) { s = s + partial[z * uniforms.size + index]; }
        setOutputAtIndex(index, s);
      }
    }`;
  }
}

function run(backend: tf.KernelBackend, name: string, inputs: Record<string, Info> | Info[], attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'webgpu');
  if (!kernel) throw new Error(`the webgpu backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

const free = (backend: tf.KernelBackend, ...infos: Info[]) => infos.forEach((t) => backend.disposeData(t.dataId));

/**
 * dW[i, j, ci, co] = Σ_{b,y,x} x'[b, y·s + i, x·s + j, ci] · dy[b, y, x, co], with x' the padded
 * input (zero outside x). x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> filterShape [kh, kw, Ci, Co].
 */
export function conv2DBackpropFilterWebgpu({ inputs, backend, attrs }: Args): Info {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') {
    const xt = run(backend, 'Transpose', { x }, { perm: [0, 2, 3, 1] });
    const dyt = run(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
    const out = conv2DBackpropFilterWebgpu({ inputs: { x: xt, dy: dyt }, backend, attrs: { ...attrs, dataFormat: 'NHWC' } });
    free(backend, xt, dyt);
    return out;
  }
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const { batchSize: B, inChannels: Ci, outChannels: Co, outHeight: Ho, outWidth: Wo } = c;
  const R = c.filterHeight * c.filterWidth * Ci;
  const K = B * Ho * Wo;
  const b = backend as unknown as WebGPUBackend;
  if (R * Co === 0 || K === 0) return run(backend, 'Fill', [], { shape: [...filterShape], value: 0, dtype: 'float32' });
  const chunk = WEBGPU_FILTER_CHUNK.positions;
  const chunks = Math.ceil(K / chunk);
  const uniforms = [
    B,
    c.inHeight,
    c.inWidth,
    Ci,
    Ho,
    Wo,
    Co,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
    R,
    chunk,
    K,
  ];
  const partial = b.runWebGPUProgram(new FilterPartial(chunks, R, Co), [x, dy], 'float32', uniforms.map(int));
  const dW = b.runWebGPUProgram(new FilterSum([...filterShape]), [partial], 'float32', [int(chunks)]);
  free(backend, partial);
  return dW;
}

/** Replaces the WebGPU backend's Conv2DBackpropFilter once its kernels are registered; safe to call again. */
export function registerWebgpuGradKernels(): void {
  const current = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
  if (!current || current.kernelFunc === (conv2DBackpropFilterWebgpu as unknown)) return;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'webgpu',
    kernelFunc: conv2DBackpropFilterWebgpu as unknown as tf.KernelFunc,
  });
}
