// Choosing the backend, checking its kernels, and the browser's GPU limits. Actions live at module
// level and write the store with setState, so they need no hook and the worker's callbacks reach
// the store directly.
import type { BackendReport, MeasureProgress, MeasureSpec } from '../../workers/contract/api';
import type { BackendChoice, BackendName } from '../../workers/contract/config';
import { errorMessage } from '../../workers/contract/errors';
import { callback, spareWorker, worker } from '../bridge';
import { type Store, useStore } from '../store';
import { evaluating, mapping, runActive } from '../store/selectors';

const busyComputing = (s: Store) => evaluating(s) || mapping(s);

/** auto's ranking of the backends, per model: measuring takes seconds, so a visit reuses it. */
const rankingKey = (spec: MeasureSpec) =>
  `vicreg-studio:backend-ranking:${[spec.backbone, spec.widthMult, spec.stem, spec.patchSize, spec.vitDepth, spec.width, spec.projector, spec.imageSize, spec.wasmThreads ?? 0].join('|')}`;

/** A ranking as remembered: the backends fastest first, and what it was measured under (another
 *  browser version or TF.js version measures afresh). */
interface Ranking {
  ranking: BackendName[];
  browser: string;
  tfjs: string;
  msPerImage: Partial<Record<BackendName, number>>;
}

function readRanking(spec: MeasureSpec): Ranking | null {
  try {
    const r = JSON.parse(localStorage.getItem(rankingKey(spec)) ?? 'null') as Ranking | null;
    return r && Array.isArray(r.ranking) && r.ranking.length && r.browser === navigator.userAgent && typeof r.tfjs === 'string' ? r : null;
  } catch {
    return null;
  }
}

function saveRanking(spec: MeasureSpec, report: BackendReport): Ranking | null {
  const timed = report.attempts.filter((a) => a.msPerImage !== undefined).sort((a, b) => a.msPerImage! - b.msPerImage!);
  if (!timed.length || !report.tfjs) return null;
  const r: Ranking = {
    ranking: timed.map((a) => a.name),
    browser: navigator.userAgent,
    tfjs: report.tfjs,
    msPerImage: Object.fromEntries(timed.map((a) => [a.name, a.msPerImage])),
  };
  localStorage.setItem(rankingKey(spec), JSON.stringify(r));
  return r;
}

/** Backends this page must not use again: a lost GPU device is not trusted until a reload. */
const lostBackends: Partial<Record<BackendName, string>> = {};

/** The worker died with its WebGPU device (src/worker-events.ts): WebGPU is not chosen again on this page. */
export function distrustWebgpu(): void {
  lostBackends.webgpu = 'its GPU device was lost on this page; reload the page to try WebGPU again';
}

const specOf = (): MeasureSpec => {
  const { width, projector, imageSize, wasmThreads, backbone, widthMult, stem, patchSize, vitDepth } = useStore.getState().config;
  return { width, projector, imageSize, wasmThreads, backbone, widthMult, stem, patchSize, vitDepth };
};

/**
 * Chooses the backend. 'auto' starts at once: on the fastest backend measured earlier on this
 * device (same browser and TF.js versions), or, on a first visit, on a guess (WebGPU on a real
 * GPU, else WASM) while every backend is timed in the background (timeBackends); a forced
 * backend is tried first, the rest of the order kept as a fallback.
 */
export async function chooseBackend(choice: BackendChoice, remeasure = false): Promise<void> {
  const s = useStore.getState();
  stopTiming();
  s.setBackend(s.backend, 'selecting');
  const spec = specOf();
  if (remeasure) localStorage.removeItem(rankingKey(spec));
  const known = choice === 'auto' ? readRanking(spec) : null;
  try {
    const progress = (p: MeasureProgress) => useStore.setState({ backendProgress: { ...p, at: performance.now() } });
    const report = await worker().selectBackend(choice, spec, known?.ranking, lostBackends, callback(progress), {
      guess: true,
      rankedUnder: known?.tfjs,
    });
    useStore.setState({ backendSpec: spec });
    useStore.getState().setBackend(report, 'ready');
    if (report.chosenBy === 'guessed') void timeBackends(spec, report.active);
  } catch (e) {
    useStore.getState().setBackend(null, 'failed', errorMessage(e));
  }
}

let timing: { end: () => void } | null = null;
/** Waits for a run that paused the timing to end (then times again). */
let resumeWhenIdle: (() => void) | null = null;
const stopTiming = () => {
  timing?.end();
  timing = null;
  resumeWhenIdle?.();
  resumeWhenIdle = null;
};

/**
 * Times every backend on `spec`'s model in a worker of its own (the training worker's TF.js is
 * not touched), while the studio is used on the guess. The ranking is remembered for the next
 * visit. If the fastest is not the guess, the studio switches to it when that loses nothing (no
 * run or evaluation has used the worker yet: switching drops what it holds), and says so; else it
 * says which is faster and offers the switch. A run started meanwhile ends the timing (it would
 * take the run's cores); it starts again once nothing runs.
 */
async function timeBackends(spec: MeasureSpec, guessed: BackendName): Promise<void> {
  stopTiming();
  const spare = spareWorker('backend timing');
  timing = spare;
  const set = (backendTiming: Store['backendTiming']) => useStore.setState({ backendTiming });
  set({ status: 'timing', guessed, progress: null });
  const unsubscribe = useStore.subscribe((s, before) => {
    if (runActive(before) || !runActive(s) || timing !== spare) return;
    unsubscribe(); // the ended worker never answers: nothing below the await runs
    stopTiming();
    set({ status: 'paused', guessed, progress: null });
    resumeWhenIdle = useStore.subscribe((t) => {
      if (runActive(t) || busyComputing(t)) return;
      stopTiming(); // ends this subscription
      void timeBackends(spec, guessed);
    });
  });
  try {
    const report = await spare.api.selectBackend(
      'auto',
      spec,
      undefined,
      lostBackends,
      callback((p: MeasureProgress) => {
        if (timing === spare) set({ status: 'timing', guessed, progress: { ...p, at: performance.now() } });
      }),
    );
    if (timing !== spare) return;
    const ranking = saveRanking(spec, report);
    const fastest = ranking?.ranking[0] ?? guessed;
    const s = useStore.getState();
    const onGuess = s.backend?.active === guessed;
    const holdsNothing = s.runState === 'idle' && !busyComputing(s) && !s.evalSourceName;
    const switched = !!ranking && fastest !== guessed && onGuess && holdsNothing;
    if (switched) await switchTo(spec, ranking, report);
    else if (fastest === guessed && onGuess) s.setBackend({ ...s.backend!, chosenBy: 'measured', attempts: report.attempts }, 'ready');
    set({ status: 'done', guessed, fastest, times: ranking?.msPerImage ?? {}, switched, progress: null });
  } catch (e) {
    if (timing === spare) set({ status: 'failed', guessed, error: errorMessage(e), progress: null });
  } finally {
    unsubscribe();
    if (timing === spare) {
      timing.end();
      timing = null;
    }
  }
}

/** Moves the training worker to the ranking's fastest backend (between steps: nothing runs). */
async function switchTo(spec: MeasureSpec, ranking: Ranking, timed: BackendReport): Promise<void> {
  const s = useStore.getState();
  s.setBackend(s.backend, 'selecting');
  try {
    const report = await worker().selectBackend('auto', spec, ranking.ranking, lostBackends, undefined, { rankedUnder: ranking.tfjs });
    useStore.getState().setBackend({ ...report, chosenBy: 'measured', attempts: timed.attempts }, 'ready');
  } catch (e) {
    useStore.getState().setBackend(null, 'failed', errorMessage(e));
  }
}

/** Switches to the backend the background timing found fastest (offered when switching at once
 *  would have dropped a run or an evaluation the worker held): auto then starts on the ranking. */
export async function switchToFastest(): Promise<void> {
  useStore.setState({ backendTiming: null });
  await chooseBackend('auto');
}

/** Runs the gradient kernels on the active backend against the CPU backend (a few seconds). */
export async function checkKernels(): Promise<void> {
  useStore.setState({ kernelCheck: { status: 'running' } });
  try {
    useStore.setState({ kernelCheck: { status: 'done', report: await worker().checkKernels() } });
  } catch (e) {
    useStore.setState({ kernelCheck: { status: 'failed', error: errorMessage(e) } });
  }
}

/** The WebGPU adapter's buffer limits, once per page (nothing where the browser has no WebGPU). */
export async function readGpuLimits(): Promise<void> {
  // WebGPU's types are not in TypeScript's DOM lib.
  type Limits = { maxBufferSize: number; maxStorageBufferBindingSize: number };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ limits: Limits } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (adapter)
    useStore.setState({
      gpuLimits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
    });
}
