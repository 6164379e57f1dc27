// GatherV2 and SplitV on the WASM backend as contiguous copies. TF.js 4.22's WASM GatherV2 walks
// every value through a C++ strides loop, and its SplitV slices along the split axis; on the last
// axis that is one copy per value. Before the colour jitter was fused on WASM (dataset/jitter.ts),
// the augmentation's tensor path (gathering images for the hue jitter, splitting RGB channels)
// spent 56% of its time in them (192 of 343 ms for two views at batch 64, 32 px, Node 20); they
// still serve a ViT's q/k/v split and the linear probe's minibatch gather. Here a gathered slice
// is one typed-array copy, and a last-axis split is one pass over the input.
// Semantics are the kernels' own (tfjs-backend-cpu GatherV2 and SplitV).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalWasmKernel } from './replace';

type Info = tf.TensorInfo;
type Args = { inputs: Record<string, Info>; backend: unknown; attrs?: tf.NamedAttrMap };
const fallback = (name: string, args: Args) => originalWasmKernel(name)(args as unknown as Parameters<tf.KernelFunc>[0]) as Info | Info[];

/** Gathered slices shorter than this go to the WASM kernel: a copy call costs about 8 of its values. */
const MIN_SLICE = 8;

/** out[b, o, i, :] = x[b, o, indices[b, i], :] with [batch, outer, dim, slice] flattened as TF.js plans it. */
export function gatherV2(args: Args): Info | Info[] {
  const backend = args.backend as BackendWasm;
  const { x, indices } = args.inputs;
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, parsedAxis, batchDims);
  if (x.dtype === 'string' || info.sliceSize < MIN_SLICE) return fallback('GatherV2', args);
  const idx = backend.readSync(indices.dataId) as Int32Array;
  const dim = x.shape[parsedAxis];
  for (const i of idx) if (!(i >= 0 && i <= dim - 1)) throw new Error(`GatherV2: the index value ${i} is not in [0, ${dim - 1}]`);
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0 || idx.length === 0) return out;
  const src = backend.typedArrayFromHeap(x); // after makeOutput: an allocation may move the heap
  const dst = backend.typedArrayFromHeap(out);
  const { batchSize: B, outerSize: O, sliceSize: S } = info;
  const n = idx.length / B; // indices per batch
  let to = 0;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const base = (b * O + o) * dim;
      for (let i = 0; i < n; i++, to += S) {
        const from = (base + idx[b * n + i]) * S;
        dst.set(src.subarray(from, from + S), to);
      }
    }
  }
  return out;
}

/** Splits along the last axis in one pass; other axes go to the WASM kernel (its slices are contiguous there). */
export function splitV(args: Args): Info | Info[] {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs;
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  if ($axis !== x.shape.length - 1 || x.dtype === 'string' || x.shape.length < 2) return fallback('SplitV', args);
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const C = x.shape[$axis];
  const rows = tf.util.sizeFromShape(x.shape) / C;
  const outs = sizes.map((s) => backend.makeOutput([...x.shape.slice(0, -1), s], x.dtype));
  const src = backend.typedArrayFromHeap(x);
  let offset = 0;
  outs.forEach((out, k) => {
    const s = sizes[k];
    const dst = backend.typedArrayFromHeap(out);
    for (let r = 0; r < rows; r++) {
      const from = r * C + offset;
      for (let j = 0; j < s; j++) dst[r * s + j] = src[from + j];
    }
    offset += s;
  });
  return outs;
}
