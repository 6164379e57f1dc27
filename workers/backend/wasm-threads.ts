// Starting the WASM backend on as many threads as the machine has. TF.js picks its threaded SIMD
// build when WebAssembly threads work here (WASM_HAS_MULTITHREAD_SUPPORT: SharedArrayBuffer, so a
// cross-origin isolated page, see vite.config.ts); its pthreads only start from a bundle with the
// fix of build/wasm-threads-plugin.ts. Should that build still fail or hang, WASM starts again
// on the single-threaded SIMD build, and the report says why.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { withTimeout } from './timeout';

/**
 * Workers emscripten starts with the threaded build (`pthreadPoolSize=8` in tfjs-backend-wasm
 * 4.22's wasm-out/tfjs-backend-wasm-threaded-simd.js). XNNPACK's pool takes its threads from
 * these, the calling thread being one of its own; asking for more would make emscripten start a
 * worker while pthreadpool_create blocks the event loop that worker needs to load.
 */
const PTHREAD_POOL_SIZE = 8;

/*
 * tfjs-backend-wasm 4.22 caps XNNPACK's threads at navigator.hardwareConcurrency / 2, read once as
 * the module starts (src/cc/backend.cc, `num_cores`: it assumes two hyperthreads per core), so a
 * 2-core machine would get 1 thread whatever setThreadsCount asks. While the threaded module
 * starts, navigator.hardwareConcurrency reads twice the threads asked for, so the cap is ours.
 */

/** A threaded start slower than this is taken as stuck: it takes well under a second when it works. */
export const THREADED_START_TIMEOUT_MS = 20_000;

export interface WasmStart {
  threads: number;
  note?: string; // why one thread
}

export interface WasmStartDeps {
  /** Sets the backend to wasm and waits until it is ready; false when it is not available. */
  start: () => Promise<boolean>;
  threadsWork: () => Promise<boolean>;
  disableThreads: () => void;
  requestThreads: (n: number) => void;
  /** Makes navigator.hardwareConcurrency read `n` until the returned function is called. */
  presentCores: (n: number) => () => void;
  threadsInUse: () => number;
  cores: number;
  isolated: boolean;
  timeoutMs: number;
}

const browserDeps = (): WasmStartDeps => ({
  start: () => tf.setBackend('wasm').then(async (ok) => (await tf.ready(), ok)),
  threadsWork: async () => Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
  disableThreads: () => tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false),
  requestThreads: setThreadsCount,
  presentCores: (n) => {
    Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => n });
    return () => void delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  },
  threadsInUse: getThreadsCount,
  cores: navigator.hardwareConcurrency || 1,
  isolated: self.crossOriginIsolated,
  timeoutMs: THREADED_START_TIMEOUT_MS,
});

const message = (e: unknown) =>
  e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String(e.message) : String(e);

/**
 * Starts WASM, threaded when possible. Resolves to null when WASM is not available at all; the
 * single-threaded start is left to the caller's own timeout.
 */
export async function startWasm(deps: WasmStartDeps = browserDeps(), requested = 0): Promise<WasmStart | null> {
  if (requested === 1) {
    // Asked for: one thread, on the single-threaded build (no idle pthreads competing for cores).
    deps.disableThreads();
    if (!(await deps.start())) return null;
    return { threads: 1, note: 'wasmThreads = 1' };
  }
  if (!(await deps.threadsWork())) {
    if (!(await deps.start())) return null;
    const why = deps.isolated ? 'this browser has no WebAssembly threads' : 'the page is not cross-origin isolated';
    return { threads: deps.threadsInUse(), note: why };
  }
  const threads = Math.max(1, Math.min(requested || deps.cores, PTHREAD_POOL_SIZE));
  deps.requestThreads(threads);
  let failure: string;
  const restore = deps.presentCores(2 * threads);
  try {
    if (await withTimeout(deps.start(), deps.timeoutMs, 'the threaded build')) return { threads: deps.threadsInUse() };
    failure = 'the threaded build did not start';
  } catch (e) {
    failure = message(e);
  } finally {
    restore();
  }
  // TF.js calls the backend's factory again on the next setBackend; with the flag off, init()
  // takes the single-threaded SIMD build. A hung threaded start is left behind (its promise is
  // superseded in the engine), with its pthread workers idle.
  deps.disableThreads();
  if (!(await deps.start())) return null;
  return { threads: deps.threadsInUse(), note: `threads failed to start (${failure}); single-threaded build` };
}
