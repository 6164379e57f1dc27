// Conv2DBackpropFilter for TF.js 4.22's WebGPU backend. Its own (Conv2DDerFilterProgram,
// tfjs-backend-webgpu/src/conv_backprop_webgpu.ts) runs one GPU thread per filter value, each
// looping over every batch position: a 3×3×3×24 first-layer filter is 648 threads doing 65,536
// serial steps each at batch 64 and 32 px, a few workgroups on a GPU built for thousands. This one
// is im2col and one matmul, built from the backend's own kernels (StridedSlice, Concat,
// BatchMatMul): the taps' windows side by side as cols [K, taps·Ci], then dW = colsᵀ · dy [K, Co],
// which TF.js runs as a split-K matmul when the output is small and K long (batchMatMulImpl).
// Semantics are the CPU backend's kernel of the same name; NCHW goes through NHWC.
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Args = { inputs: { x: Info; dy: Info }; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** Largest cols block, in float32 values (64 MiB): taps go in blocks so memory stays bounded. */
export const WEBGPU_IM2COL_BUDGET = { values: 1 << 24 };

function run(backend: tf.KernelBackend, name: string, inputs: Record<string, Info> | Info[], attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'webgpu');
  if (!kernel) throw new Error(`the webgpu backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

const free = (backend: tf.KernelBackend, ...infos: Info[]) => infos.forEach((t) => backend.disposeData(t.dataId));

/** The same data under another shape; the backend's Reshape shares the buffer and counts a reference. */
const reshape = (backend: tf.KernelBackend, x: Info, shape: number[]) => run(backend, 'Reshape', { x }, { shape });

/**
 * dW[i, j, ci, co] = Σ_{b,y,x} x'[b, y·s + i, x·s + j, ci] · dy[b, y, x, co], with x' the padded
 * input. x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> filterShape [kh, kw, Ci, Co].
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
  const { batchSize: B, inChannels: Ci, outChannels: Co, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = c;
  const { filterHeight: kh, filterWidth: kw, inHeight: H, inWidth: W } = c;
  const { top, left } = c.padInfo;
  // Padded so that every tap's strided window lies inside; rows and columns past it are never read.
  const bottom = Math.max(0, (Ho - 1) * sh + kh - H - top);
  const right = Math.max(0, (Wo - 1) * sw + kw - W - left);
  const padded = top > 0 || left > 0 || bottom > 0 || right > 0;
  const xp = padded
    ? run(
        backend,
        'PadV2',
        { x },
        {
          paddings: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        },
      )
    : x;
  const K = B * Ho * Wo;
  const dyK = reshape(backend, dy, [1, K, Co]);
  const taps = kh * kw;
  const perBlock = Math.max(1, Math.floor(WEBGPU_IM2COL_BUDGET.values / (K * Ci)));
  const blocks: Info[] = [];
  for (let k0 = 0; k0 < taps; k0 += perBlock) {
    const windows: Info[] = [];
    for (let k = k0; k < Math.min(k0 + perBlock, taps); k++) {
      const [i, j] = [Math.floor(k / kw), k % kw];
      windows.push(
        run(
          backend,
          'StridedSlice',
          { x: xp },
          {
            begin: [0, i, j, 0],
            end: [B, i + (Ho - 1) * sh + 1, j + (Wo - 1) * sw + 1, Ci],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      ); // [B, Ho, Wo, Ci]
    }
    const cols = windows.length === 1 ? windows[0] : run(backend, 'Concat', windows, { axis: 3 }); // [B, Ho, Wo, n·Ci]
    if (windows.length > 1) free(backend, ...windows);
    const colsK = reshape(backend, cols, [1, K, windows.length * Ci]);
    blocks.push(run(backend, 'BatchMatMul', { a: colsK, b: dyK }, { transposeA: true, transposeB: false })); // [1, n·Ci, Co]
    free(backend, cols, colsK);
  }
  free(backend, dyK);
  if (padded) free(backend, xp);
  const out = blocks.length === 1 ? blocks[0] : run(backend, 'Concat', blocks, { axis: 1 });
  if (blocks.length > 1) free(backend, ...blocks);
  const dW = reshape(backend, out, [...filterShape]);
  free(backend, out);
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
