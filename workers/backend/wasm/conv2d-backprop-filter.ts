// Conv2DBackpropFilter on the WASM backend, which TF.js 4.22 lacks (tensorflow/tfjs#8474): without
// it no conv net trains there. Semantics are the CPU backend's kernel of the same name
// (tfjs-backend-cpu/src/kernels/Conv2DBackpropFilter.ts). The padded input is split into column
// phases only, with the batch innermost, so that every filter tap reads runs of Wo·B values.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type ConvInfo, free, gatherRuns, type Info, type KernelArgs, run, toNHWC, view, windowOf } from './heap';
import { convArgs } from './conv2d';
import { nativeKernels, offsetOf } from './native/module';

/** Memory bounds of the filter gradient, in float32 values (tests lower them to split small cases). */
export const BUDGETS = {
  /**
   * Largest im2col block (32 MiB): the filter gradient stacks as many taps' windows into one
   * matmul as fit, so memory stays bounded for large images and batches.
   */
  im2col: 1 << 23,
  /**
   * Padded input per batch chunk of Conv2DBackpropFilter (2 MiB): its batch-innermost Transpose
   * ran 8× slower per value once a chunk outgrew the cache (64 images of 33×34×24 took 14.5 ms,
   * 32 of them 1.7 ms; Node 20), so the batch is taken in chunks and their gradients summed.
   */
  chunk: 1 << 19,
};

/** The padded rows some tap reads (Hp) and the columns per column phase (Wq) of a filter gradient. */
const paddedExtent = (c: ConvInfo) => ({
  Hp: (c.outHeight - 1) * c.strideHeight + c.filterHeight,
  Wq: c.outWidth + Math.floor((c.filterWidth - 1) / c.strideWidth),
});

/**
 * Conv2DBackpropFilter of images [b0, b0 + bc): dW as [taps·Ci, Co] (see conv2DBackpropFilter).
 * The padded input x' is laid out [Ci, Hp, sw, Wq, bc], so a tap's window of one channel is Ho
 * runs of Wo·bc values, each copied whole into the im2col block.
 */
function filterGradientOfImages(backend: BackendWasm, x: Info, dy: Info, c: ConvInfo, b0: number, bc: number): Info {
  const { batchSize: B, inChannels: Ci, outChannels: Co, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = c;
  const { filterHeight: kh, filterWidth: kw } = c;
  const { Hp, Wq } = paddedExtent(c);
  const taps = kh * kw;
  /** Where tap `tap`'s window of channel ci starts in x' (row y adds y·sh·sw·Wq·bc). */
  const runStart = (tap: number, ci: number) => {
    const [i, j] = [Math.floor(tap / kw), tap % kw];
    return (((ci * Hp + i) * sw + (j % sw)) * Wq + Math.floor(j / sw)) * bc;
  };
  const xp = windowOf(backend, x, bc, -c.padInfo.top, Hp, -c.padInfo.left, Wq * sw, b0); // [bc, Hp, Wq·sw, Ci]
  let xs = xp;
  if (sw > 1) {
    xs = run(backend, 'Transpose', { x: view(xp, [bc * Hp, Wq, sw, Ci]) }, { perm: [0, 2, 1, 3] }); // [bc, Hp, sw, Wq, Ci]
    free(backend, xp);
  }
  const xT = run(backend, 'Transpose', { x: view(xs, [bc, Hp * sw * Wq, Ci]) }, { perm: [2, 1, 0] }); // [Ci, Hp, sw, Wq, bc]
  free(backend, xs);
  const K = Ho * Wo * bc;
  const dyc = bc === B ? dy : gatherRuns(backend, dy, [b0 * Ho * Wo * Co], bc * Ho * Wo * Co);
  const dyT = view(run(backend, 'Transpose', { x: view(dyc, [bc, Ho * Wo, Co]) }, { perm: [1, 0, 2] }), [K, Co]); // [(y, x, b), Co]
  if (dyc !== dy) free(backend, dyc);
  const [rowStride, runLength] = [sh * sw * Wq * bc, Wo * bc];
  const perBlock = Math.max(1, Math.floor(BUDGETS.im2col / (Ci * K)));
  const blocks: Info[] = [];
  for (let k0 = 0; k0 < taps; k0 += perBlock) {
    const k1 = Math.min(k0 + perBlock, taps);
    const cols = backend.makeOutput([(k1 - k0) * Ci, K], 'float32');
    const src = backend.typedArrayFromHeap(xT) as Float32Array; // views after makeOutput (the heap may grow)
    const dst = backend.typedArrayFromHeap(cols) as Float32Array;
    for (let tap = k0; tap < k1; tap++) {
      for (let ci = 0; ci < Ci; ci++) {
        const from = runStart(tap, ci);
        const to = ((tap - k0) * Ci + ci) * K;
        for (let y = 0; y < Ho; y++) dst.set(src.subarray(from + y * rowStride, from + y * rowStride + runLength), to + y * runLength);
      }
    }
    blocks.push(run(backend, 'BatchMatMul', { a: cols, b: dyT }, { transposeA: false, transposeB: false })); // [taps·Ci, Co]
    free(backend, cols);
  }
  free(backend, xT, dyT);
  const out = blocks.length === 1 ? blocks[0] : run(backend, 'Concat', blocks, { axis: 0 });
  if (blocks.length > 1) free(backend, ...blocks);
  return out;
}

/**
 * Conv2DBackpropFilter: dW[i, j, ci, co] = Σ_{b,y,x} x'[b, y·s + i, x·s + j, ci] · dy[b, y, x, co].
 * x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> filterShape [kh, kw, Ci, Co]. im2col, transposed: the
 * taps' windows stacked as rows [taps·Ci, K] times dy [K, Co] is dW in its own layout, with the K
 * positions ordered (y, x, b), batch innermost. Then, with x' laid out [Ci, Hp, sw, Wq, B] (padded,
 * split into column phases, channel-major, batch innermost), one tap's window of one channel is Ho
 * contiguous runs of Wo·B values, and K is exactly B·Ho·Wo: no padded grid positions to multiply
 * by zero (they were 13–56% extra at our model's shapes). dy is the matmul's second operand, which
 * XNNPACK packs (slowly: about 7.5 ns a value), so it is packed once and the windows, copied by
 * memcpy, are the first.
 */
export function conv2DBackpropFilter({ inputs, backend: b, attrs }: KernelArgs<'x' | 'dy'>): Info {
  const backend = b as BackendWasm;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') {
    const [xt, dyt] = [toNHWC(backend, x), toNHWC(backend, dy)];
    const out = conv2DBackpropFilter({ inputs: { x: xt, dy: dyt }, backend, attrs: { ...attrs, dataFormat: 'NHWC' } });
    free(backend, xt, dyt);
    return out;
  }
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const native = nativeKernels(backend);
  if (native && x.dtype === 'float32' && dy.dtype === 'float32') {
    const out = backend.makeOutput([...filterShape], 'float32');
    if (tf.util.sizeFromShape(filterShape) === 0) return out;
    native.run(
      'conv2d_filter_grad',
      c.filterHeight * c.filterWidth * Math.ceil(c.inChannels / 4),
      tf.util.sizeFromShape(filterShape) * c.batchSize * c.outHeight * c.outWidth,
      offsetOf(backend, x),
      offsetOf(backend, dy),
      offsetOf(backend, out),
      ...convArgs(c),
    );
    return out;
  }
  const B = c.batchSize;
  const { Hp, Wq } = paddedExtent(c);
  const perImage = Hp * Wq * c.strideWidth * c.inChannels;
  const chunks = Math.ceil(B / Math.max(1, Math.floor(BUDGETS.chunk / perImage)));
  const chunk = Math.ceil(B / chunks); // equal chunks: 4 of 16 rather than 19, 19, 19, 7
  const partial: Info[] = [];
  for (let b0 = 0; b0 < B; b0 += chunk) partial.push(filterGradientOfImages(backend, x, dy, c, b0, Math.min(chunk, B - b0)));
  const out = partial.length === 1 ? partial[0] : run(backend, 'AddN', partial);
  if (partial.length > 1) free(backend, ...partial);
  return view(out, [...filterShape]);
}
