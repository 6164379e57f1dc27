// The studio's hand-written kernels (kernels.c) instantiated on TF.js's own WASM memory, so they
// read and write tensors where TF.js keeps them: no copies in or out. Relaxed SIMD (a fused
// multiply-add) where the engine validates it, plain SIMD otherwise; the shared-memory build when
// TF.js runs its threaded build. One instance per backend; with the threaded build on n threads,
// n − 1 helper workers run the same kernels on the same memory (pool.ts), and each call is split
// over all n.
import { type BackendWasm, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { relaxed, relaxedShared, simd as plain, simdShared } from './binaries';
import { KernelPool, type KernelTable, type ParallelKernel } from './pool';

/** One export of kernels.c: byte offsets into TF.js's memory and sizes, in the C signature's order. */
type Kernel = (...offsetsAndSizes: number[]) => void;

/** The kernels' exports; kernels.c gives each one's arguments. */
export interface NativeExports {
  conv2d: Kernel;
  conv2d_filter_grad: Kernel;
  bn_stats: Kernel;
  bn_relu_forward: Kernel;
  bn_relu_backward_sums: Kernel;
  bn_relu_backward_dx: Kernel;
  sgd_step: Kernel;
  gemm: Kernel;
}

export interface Native {
  exports: NativeExports;
  /** Which build runs: relaxed SIMD (fused multiply-add) or plain SIMD. */
  simd: 'relaxed' | 'plain';
  shared: boolean;
  /** The helper threads (none on the single-threaded build, or where workers cannot start). */
  pool: KernelPool | null;
  /**
   * `kernel`(...args, u0, u1) over the units [0, units) (kernels.c says what a unit is for each),
   * split over the pool's threads when `work` (multiply-adds or values touched) is worth it.
   */
  run(kernel: ParallelKernel, units: number, work: number, ...args: number[]): void;
}

const decode = (b64: string): Uint8Array<ArrayBuffer> => {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
};

/** Whether this engine takes relaxed SIMD (Chrome 114+, Firefox 145+; Node 20 only with
 *  --experimental-wasm-relaxed-simd). */
export const relaxedSimdSupported = (() => {
  let known: boolean | null = null;
  return () => (known ??= WebAssembly.validate(decode(relaxed)));
})();

/** 'plain': the plain-SIMD build even where relaxed SIMD validates; 'off': none, every kernel
 *  takes its TF.js route (tests compare them). */
export const nativeOptions: { simd: 'auto' | 'plain' | 'off' } = { simd: 'auto' };

/** TF.js's memory: the threaded build's (shared, created by the glue) or the other's (exported). */
function memoryOf(backend: BackendWasm): WebAssembly.Memory | null {
  const m = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  return m.wasmMemory ?? m.asm?.memory ?? null;
}

const instances = new WeakMap<object, Map<string, Native>>();

/** `helpers` workers serving the kernels on `memory`, or null where none can start. */
function startPool(module: WebAssembly.Module, memory: WebAssembly.Memory, helpers: number): KernelPool | null {
  if (helpers < 1 || typeof Worker === 'undefined') return null;
  const pool = new KernelPool(helpers);
  for (let i = 0; i < helpers; i++) {
    const worker = new Worker(new URL('./pool-worker.ts', import.meta.url), { type: 'module', name: `kernels ${i + 1}` });
    worker.postMessage({ module, memory, control: pool.control });
  }
  return pool;
}

/** The kernels on `backend`'s memory, or null when its memory cannot be reached (an unknown glue). */
export function nativeKernels(backend: BackendWasm): Native | null {
  const memory = nativeOptions.simd === 'off' ? null : memoryOf(backend);
  if (!memory) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const simd = nativeOptions.simd === 'auto' && relaxedSimdSupported() ? 'relaxed' : 'plain';
  const key = `${simd}:${shared}`;
  let byKey = instances.get(memory);
  const known = byKey?.get(key);
  if (known) return known;
  const bytes = simd === 'relaxed' ? (shared ? relaxedShared : relaxed) : shared ? simdShared : plain;
  const module = new WebAssembly.Module(decode(bytes));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as NativeExports;
  // Helpers start while the first steps run; until one is ready, calls run on this thread alone.
  const pool = shared ? startPool(module, memory, getThreadsCount() - 1) : null;
  const table = exports as unknown as KernelTable;
  const run: Native['run'] = pool
    ? (kernel, units, work, ...args) => pool.run(table, kernel, units, work, args)
    : (kernel, units, _work, ...args) => table[kernel](...args, 0, units);
  const native: Native = { exports, simd, shared, pool, run };
  if (!byKey) instances.set(memory, (byKey = new Map()));
  byKey.set(key, native);
  return native;
}

/** A tensor's byte offset in TF.js's memory. */
export function offsetOf(backend: BackendWasm, t: { dataId: object }): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}
