// Counts what one training step asks of a GPU: compute dispatches (each a kernel launch, the
// hardware-independent proxy for launch overhead on a model this small) and GPU→CPU readbacks
// (GPUBuffer.mapAsync, each a stall of the queue), by TF.js kernel. Patches the WebGPU prototypes
// and wraps the backend's kernels for the duration of one call; for the benchmark worker only.
import * as tf from '@tensorflow/tfjs';

export interface DispatchCount {
  dispatches: number;
  readbacks: number;
  /** By TF.js kernel (the innermost one running when the dispatch was recorded), most first. */
  byKernel: { name: string; dispatches: number; calls: number }[];
}

/** Runs `f` (synchronous) and counts its dispatches and readbacks on the webgpu backend. */
export function countDispatches(f: () => void): DispatchCount {
  const pass = (globalThis as unknown as { GPUComputePassEncoder: { prototype: Record<string, unknown> } }).GPUComputePassEncoder.prototype;
  const buffer = (globalThis as unknown as { GPUBuffer: { prototype: Record<string, unknown> } }).GPUBuffer.prototype;
  const stack: string[] = [];
  const byKernel = new Map<string, { name: string; dispatches: number; calls: number }>();
  const entry = (name: string) => byKernel.get(name) ?? byKernel.set(name, { name, dispatches: 0, calls: 0 }).get(name)!;
  let dispatches = 0;
  let readbacks = 0;
  const dispatch = pass.dispatchWorkgroups as (...a: unknown[]) => void;
  const mapAsync = buffer.mapAsync as (...a: unknown[]) => Promise<void>;
  pass.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
    dispatches++;
    entry(stack.at(-1) ?? '(outside a kernel)').dispatches++;
    return dispatch.apply(this, a);
  };
  buffer.mapAsync = function (this: unknown, ...a: unknown[]) {
    readbacks++;
    return mapAsync.apply(this, a);
  };
  const wrapped = tf.getKernelsForBackend('webgpu').map((k) => {
    const original = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'webgpu');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        stack.push(k.kernelName);
        entry(k.kernelName).calls++;
        try {
          return original(args);
        } finally {
          stack.pop();
        }
      },
    });
    return k;
  });
  try {
    f();
    // TF.js records a dispatch when a kernel runs; flushing submits them, reading nothing back.
    (tf.backend() as unknown as { submitQueue?: () => void }).submitQueue?.();
  } finally {
    pass.dispatchWorkgroups = dispatch;
    buffer.mapAsync = mapAsync;
    for (const k of wrapped) {
      tf.unregisterKernel(k.kernelName, 'webgpu');
      tf.registerKernel(k);
    }
  }
  return {
    dispatches,
    readbacks,
    byKernel: [...byKernel.values()].filter((k) => k.dispatches > 0).sort((a, b) => b.dispatches - a.dispatches),
  };
}
