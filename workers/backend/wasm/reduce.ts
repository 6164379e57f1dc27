// Sum and Mean over axes that are not the innermost, on the WASM backend, as XNNPACK average
// pooling. TF.js 4.22's WASM Sum and Mean first transpose the reduced axes to the end
// (tfjs-backend-wasm/src/kernels/Mean.ts, permuteAxesAndTranspose), and that Transpose is most of
// their time: a BatchNorm's statistics over [64, 32, 32, 24] took 7.5 ms, against 0.65 ms for one
// average pool over the same values (Node 20, one thread). Every BatchNorm forward and backward
// reduces over the leading axes, so they were a tenth of a training step.
//
// The idea: with the reduced axes a contiguous run [i, j] and not the last axis, x is
// [outer, R, inner] once flattened; as an NHWC image [outer, R, 1, inner], a valid R×1 average pool
// is the mean over R for every outer index and channel, read in place. Sum is that mean times R.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalWasmKernel } from './replace';

type Info = tf.TensorInfo;
type Args = { inputs: { x: Info }; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * Whether reducing `axis` of `shape` is one pooling, and its [outer, R, inner] (pure). Null when
 * the reduced axes are not one contiguous run ending before the last axis (those the WASM kernel
 * reduces without a transpose, or only with one), or when there is nothing to reduce.
 */
export function poolingPlan(shape: number[], axis: number | number[] | undefined): { outer: number; R: number; inner: number } | null {
  const rank = shape.length;
  if (rank < 2) return null;
  const axes = tf.util.parseAxisParam(axis ?? shape.map((_, i) => i), shape).sort((a, b) => a - b);
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length || last === rank - 1) return null;
  const R = tf.util.sizeFromShape(shape.slice(first, last + 1));
  const outer = tf.util.sizeFromShape(shape.slice(0, first));
  const inner = tf.util.sizeFromShape(shape.slice(last + 1));
  if (R <= 1 || inner === 0 || outer === 0) return null;
  return { outer, R, inner };
}

function pooled(name: 'Sum' | 'Mean', args: Args): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const plan = x.dtype === 'float32' ? poolingPlan(x.shape, axis) : null;
  if (!plan) return originalWasmKernel(name)(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  const { outer, R, inner } = plan;
  const pool = tf.getKernel('AvgPool', 'wasm')!.kernelFunc;
  const mean = pool({
    inputs: { x: { dataId: x.dataId, shape: [outer, R, 1, inner], dtype: 'float32' } },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { filterSize: [R, 1], strides: [1, 1], pad: 'valid' },
  }) as Info; // [outer, 1, 1, inner]
  let out = mean;
  if (name === 'Sum') {
    const scale = backend.makeOutput([], 'float32');
    (backend.typedArrayFromHeap(scale) as Float32Array)[0] = R;
    out = tf
      .getKernel('Multiply', 'wasm')!
      .kernelFunc({ inputs: { a: mean, b: scale }, backend: backend as unknown as tf.KernelBackend, attrs: {} }) as Info;
    backend.disposeData(mean.dataId);
    backend.disposeData(scale.dataId);
  }
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  out.shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  return out;
}

/** Sum on wasm (registered by register.ts): one average pool times R where poolingPlan allows. */
export const sumKernel = (args: Args) => pooled('Sum', args);
/** Mean on wasm (registered by register.ts): one average pool where poolingPlan allows. */
export const meanKernel = (args: Args) => pooled('Mean', args);
