// Conv2D on the WASM backend as the studio's direct convolution (native/kernels.c conv2d) in place
// of TF.js 4.22's XNNPACK one: at the small CNN's shapes it ran 1.1–1.4× XNNPACK's speed on one
// thread with plain SIMD, more with relaxed SIMD's fused multiply-add (Node 20, 2-core VM; the
// figures in the browser are in docs/performance.md). Conv2DBackpropInput (its stride phases are
// forward convolutions) runs on it too. Semantics are the CPU backend's kernel of the same name.
// The cases it does not take (NCHW, dilation, other dtypes) go to the original kernel.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info, KernelArgs } from './heap';
import { nativeKernels, offsetOf } from './native/module';
import { originalWasmKernel } from './replace';

/** The conv's geometry when the native kernel takes it, else null. */
export function nativeConvInfo(x: Info, filterShape: number[], attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo | null {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  if (dataFormat === 'NCHW' || x.dtype !== 'float32') return null;
  const d = typeof dilations === 'number' ? [dilations, dilations] : (dilations ?? [1, 1]);
  if (d[0] !== 1 || d[1] !== 1) return null;
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/**
 * The geometry arguments of kernels.c's conv2d and conv2d_filter_grad, which follow their pointers
 * in the same order (B, H, W, Ci, Ho, Wo, Co, kh, kw, sh, sw, pt, pl).
 */
export const convArgs = (c: tf.backend_util.Conv2DInfo): number[] => [
  c.batchSize,
  c.inHeight,
  c.inWidth,
  c.inChannels,
  c.outHeight,
  c.outWidth,
  c.outChannels,
  c.filterHeight,
  c.filterWidth,
  c.strideHeight,
  c.strideWidth,
  c.padInfo.top,
  c.padInfo.left,
];

export function conv2d(args: KernelArgs<'x' | 'filter'>): Info {
  const backend = args.backend as BackendWasm;
  const { x, filter } = args.inputs;
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  const native = nativeKernels(backend);
  const c = native && filter.dtype === 'float32' ? nativeConvInfo(x, filter.shape, attrs) : null;
  if (!native || !c) return originalWasmKernel('Conv2D')(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  const out = backend.makeOutput(c.outShape, 'float32');
  if (tf.util.sizeFromShape(c.outShape) === 0) return out;
  const zeros = backend.makeOutput([Math.max(4, c.inChannels)], 'float32');
  (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
  const units = Math.ceil((c.batchSize * c.outHeight * c.outWidth) / 4);
  native.run(
    'conv2d',
    units,
    tf.util.sizeFromShape(c.outShape) * c.filterHeight * c.filterWidth * c.inChannels,
    offsetOf(backend, x),
    offsetOf(backend, filter),
    offsetOf(backend, out),
    offsetOf(backend, zeros),
    ...convArgs(c),
  );
  backend.disposeData(zeros.dataId);
  return out;
}
