// Choosing the backend, checking its kernels, and the browser's GPU limits. Actions live at module
// level and write the store with setState, so they need no hook and the worker's callbacks reach
// the store directly.
import type { MeasureProgress, MeasureSpec } from '../../workers/contract/api';
import type { BackendChoice, BackendName } from '../../workers/contract/config';
import { errorMessage } from '../../workers/contract/errors';
import { callback, worker } from '../bridge';
import { useStore } from '../store';

/** auto's ranking of the backends, per model: measuring takes seconds, so a visit reuses it. */
const rankingKey = (spec: MeasureSpec) =>
  `vicreg-studio:backend-ranking:${[spec.backbone, spec.widthMult, spec.stem, spec.patchSize, spec.vitDepth, spec.width, spec.projector, spec.imageSize, spec.wasmThreads ?? 0].join('|')}`;

/** Backends this page must not use again: a lost GPU device is not trusted until a reload. */
const lostBackends: Partial<Record<BackendName, string>> = {};

/** The worker died with its WebGPU device (src/worker-events.ts): WebGPU is not chosen again on this page. */
export function distrustWebgpu(): void {
  lostBackends.webgpu = 'its GPU device was lost on this page; reload the page to try WebGPU again';
}

export async function chooseBackend(choice: BackendChoice, remeasure = false): Promise<void> {
  const s = useStore.getState();
  s.setBackend(s.backend, 'selecting');
  const { width, projector, imageSize, wasmThreads, backbone, widthMult, stem, patchSize, vitDepth } = s.config;
  const spec: MeasureSpec = { width, projector, imageSize, wasmThreads, backbone, widthMult, stem, patchSize, vitDepth };
  if (remeasure) localStorage.removeItem(rankingKey(spec));
  const cached = choice === 'auto' ? (JSON.parse(localStorage.getItem(rankingKey(spec)) ?? 'null') as BackendName[] | null) : null;
  try {
    const progress = (p: MeasureProgress) => useStore.setState({ backendProgress: { ...p, at: performance.now() } });
    const report = await worker().selectBackend(choice, spec, cached ?? undefined, lostBackends, callback(progress));
    if (report.chosenBy === 'measured') {
      const ranking = report.attempts
        .filter((a) => a.msPerImage !== undefined)
        .sort((a, b) => a.msPerImage! - b.msPerImage!)
        .map((a) => a.name);
      localStorage.setItem(rankingKey(spec), JSON.stringify(ranking));
    }
    useStore.setState({ backendSpec: spec });
    useStore.getState().setBackend(report, 'ready');
  } catch (e) {
    useStore.getState().setBackend(null, 'failed', errorMessage(e));
  }
}

/** Ends auto's backend measurement after the backend being timed now. */
export const skipMeasurement = () => worker().skipMeasurement();

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
