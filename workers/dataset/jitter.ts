// ColorJitter and RandomGrayscale fused into one pass over the pixels (./pixels.ts) as a kernel of
// the backends whose tensors live in CPU memory (WASM, CPU), for augment.ts applyParams. The tensor
// version (color.ts) is about 90 elementwise ops per view, each a pass over the batch; on WASM they
// took 120 of the 165 ms of two views at batch 64, 32 px (Node 20, after backend/wasm/copy.ts).
// GPU backends keep the tensor version: their pixels would have to come back to the CPU.
import * as tf from '@tensorflow/tfjs';
import { type JitterAttrs, jitterPixels } from './pixels';

export { type JitterAttrs, jitterPixels };

export const COLOR_JITTER = 'VicregColorJitter';

type Args = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs?: tf.NamedAttrMap };

function wasmKernel({ inputs: { x }, backend, attrs }: Args): tf.TensorInfo {
  const b = backend as { makeOutput(shape: number[], dtype: string): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  const out = b.makeOutput(x.shape, 'float32');
  const dst = b.typedArrayFromHeap(out); // views after the allocation (the heap may grow)
  dst.set(b.typedArrayFromHeap(x));
  jitterPixels(dst, x.shape[0], x.shape[1] * x.shape[2], attrs as unknown as JitterAttrs);
  return out;
}

function cpuKernel({ inputs: { x }, backend, attrs }: Args): tf.TensorInfo {
  const b = backend as {
    data: { get(id: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  };
  const values = Float32Array.from(b.data.get(x.dataId).values);
  jitterPixels(values, x.shape[0], x.shape[1] * x.shape[2], attrs as unknown as JitterAttrs);
  return b.makeTensorInfo(x.shape, 'float32', values);
}

for (const [backendName, kernelFunc] of [
  ['wasm', wasmKernel],
  ['cpu', cpuKernel],
] as const) {
  if (!tf.getKernel(COLOR_JITTER, backendName))
    tf.registerKernel({ kernelName: COLOR_JITTER, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Whether the active backend runs the fused kernel. */
export const fusedJitter = () => tf.getKernel(COLOR_JITTER, tf.getBackend()) !== undefined;
