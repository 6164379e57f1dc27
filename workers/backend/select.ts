// Backend choice. A candidate counts only when a tiny VICReg training step (conv forward and
// backward, loss, optimizer update) runs on it and gives a finite loss: setBackend succeeding is
// not enough (WASM initializes but, in TF.js 4.22, cannot train convolutions without the kernels
// of ./wasm/, tensorflow/tfjs#8474). 'auto' then times a few training steps of the run's
// own model on every working backend and keeps the fastest: a software GPU (SwiftShader) can be
// many times slower than WASM, so the usual WebGPU-first order is a guess, not a measurement.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendAttempt, BackendReport, MeasureProgress, MeasureSpec } from '../contract/api';
import { DEFAULT_CONFIG, type BackendChoice, type BackendName, type TrainConfig } from '../contract/config';
import { probeConfig } from '../model/card';
import { buildModel } from '../model/model';
import { lars } from '../optim/optimizers';
import { trainStep } from '../train/step';
import { registerWasmGradKernels } from './wasm/register';
import { registerWebgpuKernels } from './webgpu-kernels';
import { withTimeout } from './timeout';
import { startWasm, type WasmStart } from './wasm-threads';
import { errorMessage } from '../contract/errors';

export const AUTO_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
registerWasmGradKernels();
registerWebgpuKernels();

/**
 * Builds a throwaway model of `config`, hands `use` a function that runs one training step on
 * random views of side `imageSize` and resolves to its loss once computed, then disposes it all.
 */
async function withScratchModel<T>(config: TrainConfig, imageSize: number, use: (step: () => Promise<number>) => Promise<T>): Promise<T> {
  const model = buildModel(config);
  const optimizer = lars(config);
  const ctx = { model, optimizer, config, avt: { ema: null } };
  const shape: [number, number, number, number] = [config.batchSize, imageSize, imageSize, 3];
  const step = async () => {
    const row = tf.tidy(() => {
      const x1 = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
      const x2 = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
      return trainStep(ctx, x1, x2, 1, 0.01).row;
    });
    const [loss] = await row.data();
    row.dispose();
    return loss;
  };
  try {
    return await use(step);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** A training step of a tiny model of the same architecture; returns its loss. */
const probeStep = () => withScratchModel({ ...DEFAULT_CONFIG, width: 2, projector: '8-8', batchSize: 4 }, 8, (step) => step());

/** A backend that neither works nor fails (a stuck init, a lost GPU) is skipped after this. */
const PROBE_TIMEOUT_MS = 60_000;

/** How WASM started (threads), once it has: TF.js initializes a backend once per worker. */
let wasmStart: WasmStart | null = null;
let requestedThreads = 0; // MeasureSpec.wasmThreads of the first selectBackend that starts WASM

async function initialize(name: BackendName): Promise<boolean> {
  if (name !== 'wasm' || wasmStart) {
    return withTimeout(
      tf.setBackend(name).then(async (r) => (await tf.ready(), r)),
      PROBE_TIMEOUT_MS,
      'initialization',
    );
  }
  wasmStart = await withTimeout(startWasm(undefined, requestedThreads), PROBE_TIMEOUT_MS, 'initialization');
  return wasmStart !== null;
}

async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  const t0 = performance.now();
  try {
    const ok = await initialize(name);
    if (!ok) return { name, ok: false, reason: 'not available in this browser' };
    const loss = await withTimeout(probeStep(), PROBE_TIMEOUT_MS, 'the test step');
    if (!Number.isFinite(loss)) return { name, ok: false, reason: `the test step gave a loss of ${loss}` };
    return { name, ok: true, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return { name, ok: false, reason: errorMessage(e) };
  }
}

/** Images in a timed step: small, so a slow backend costs seconds, not minutes, to rule out. */
const MEASURE_BATCH = 8;
/** A warm-up step slower than this settles it: the backend is too slow to be worth timing again. */
const MEASURE_CAP_MS = 8_000;

/** ms per image of a training step of `spec`'s model (probeConfig) at MEASURE_BATCH, after one warm-up step. */
function measure(spec: MeasureSpec): Promise<number> {
  const c = probeConfig(spec, MEASURE_BATCH);
  return withScratchModel(c, c.imageSize, async (step) => {
    const timed = async () => {
      const t0 = performance.now();
      await step();
      return performance.now() - t0;
    };
    const warm = await timed(); // shader compilation, kernel caches, memory growth
    if (warm > MEASURE_CAP_MS) return warm / MEASURE_BATCH;
    return Math.min(await timed(), await timed()) / MEASURE_BATCH;
  });
}

/** Whether the browser offers a WebGPU adapter that is a real GPU (not SwiftShader or another
 *  fallback adapter, which a CPU's WASM outruns). */
async function hardwareWebgpu(): Promise<boolean> {
  type Info = { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  type Adapter = { info?: Info; isFallbackAdapter?: boolean };
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return false;
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return false;
  return !/swiftshader|llvmpipe|software/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
}

/** A first visit's order before anything is timed: WebGPU where a real GPU adapter exists, else
 *  WASM (on a CPU it beats WebGL, which is then a software GL or an integrated GPU's, measured
 *  here at a fraction of WASM's speed under SwiftShader). */
export async function guessOrder(): Promise<BackendName[]> {
  const first: BackendName = (await hardwareWebgpu()) ? 'webgpu' : 'wasm';
  return [first, ...AUTO_ORDER.filter((b) => b !== first)];
}

export interface SelectOptions {
  /** With 'auto' and no usable ranking: start at once on guessOrder()'s first backend that works
   *  (the timing happens elsewhere, src/backend/actions.ts), instead of timing every backend here. */
  guess?: boolean;
  /** The TF.js version `prefer` was measured under: a ranking of another version is not used. */
  rankedUnder?: string;
}

export async function selectBackend(
  choice: BackendChoice,
  spec: MeasureSpec,
  prefer?: BackendName[],
  exclude: Partial<Record<BackendName, string>> = {},
  onProgress?: (p: MeasureProgress) => void,
  options: SelectOptions = {},
): Promise<BackendReport> {
  if (prefer?.length && options.rankedUnder !== undefined && options.rankedUnder !== tf.version.tfjs) prefer = undefined;
  if (!wasmStart) requestedThreads = spec.wasmThreads ?? 0;
  const attempts: BackendAttempt[] = [];
  // Backends ruled out for this page (a GPU device lost): listed with the reason, never tried.
  const tryOne = async (name: BackendName): Promise<BackendAttempt> =>
    exclude[name] ? { name, ok: false, reason: exclude[name] } : tryBackend(name);
  const firstThatWorks = async (order: BackendName[], chosenBy: BackendReport['chosenBy']): Promise<BackendReport | null> => {
    for (const name of order) {
      const attempt = await tryOne(name);
      attempts.push(attempt);
      if (attempt.ok)
        return { active: name, requested: choice, chosenBy: chosenBy === 'forced' && name !== choice ? 'fallback' : chosenBy, attempts };
    }
    return null;
  };
  let report: BackendReport | null;
  if (choice !== 'auto') {
    // A forced backend comes first; the rest of the auto order stays as a fallback, and says why.
    report = await firstThatWorks([choice, ...AUTO_ORDER.filter((b) => b !== choice)], 'forced');
  } else if (prefer?.length) {
    report = await firstThatWorks([...prefer, ...AUTO_ORDER.filter((b) => !prefer!.includes(b))], 'cached');
  } else if (options.guess) {
    report = await firstThatWorks(await guessOrder(), 'guessed');
  } else {
    const tookMs: number[] = [];
    for (const [index, name] of AUTO_ORDER.entries()) {
      onProgress?.({ name, index, total: AUTO_ORDER.length, tookMs: tookMs.slice() });
      const t0 = performance.now();
      const attempt = await tryOne(name);
      attempts.push(attempt);
      if (attempt.ok) {
        try {
          attempt.msPerImage = await withTimeout(measure(spec), PROBE_TIMEOUT_MS, 'the timed steps');
        } catch (e) {
          Object.assign(attempt, { ok: false, reason: errorMessage(e) });
        }
      }
      tookMs.push(performance.now() - t0);
    }
    const timed = attempts.filter((a) => a.ok && a.msPerImage !== undefined).sort((a, b) => a.msPerImage! - b.msPerImage!);
    report = timed.length ? { active: timed[0].name, requested: choice, chosenBy: 'measured', attempts } : null;
    if (report) await tf.setBackend(report.active);
  }
  if (!report) throw new Error(`no TF.js backend could run a training step: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
  report.tfjs = tf.version.tfjs;
  return wasmStart ? { ...report, threads: wasmStart.threads, threadsNote: wasmStart.note } : report;
}

const watched = new WeakSet<object>();
/**
 * Calls `onLost` once when the active WebGPU backend's device is lost (a driver reset, the GPU
 * process crashing, the device destroyed). TF.js 4.22 does not notice: every later op fails or
 * hangs. `destroy` is kept for a test that loses the device on purpose.
 */
export function watchGpuDevice(onLost: (why: string) => void): { destroy(): void } | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { lost: Promise<{ reason: string; message: string }>; destroy(): void } }).device;
  if (!device) return null;
  if (!watched.has(device)) {
    watched.add(device);
    void device.lost.then((info) => onLost(`${info.message || 'no message'}; reason: ${info.reason}`));
  }
  return { destroy: () => device.destroy() };
}
