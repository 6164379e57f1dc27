// Actions that talk to the worker. They live at module level and write the store with setState,
// so they need no hook and the worker's callbacks reach the store directly.
import {
  MAX_IMPORT_BYTES,
  RUN_OPEN_ELSEWHERE,
  RUNS_CHANNEL,
  type DatasetSummary,
  type DiagnosticsRecord,
  type EvalKind,
  type ExportFile,
  type IngestFile,
  type IngestProgress,
  type MeasureProgress,
  type MeasureSpec,
  type MetricRecord,
  type RunRecord,
  type TrainEvent,
} from '../workers/contract/api';
import type { BackendChoice, BackendName } from '../workers/contract/config';
import { callback, onWorkerLost, publicBase, stepTook, transfer, worker } from './bridge';
import { useStore } from './store';
import { errorMessage } from '../workers/contract/errors';

/** auto's ranking of the backends, per model: measuring takes seconds, so a visit reuses it. */
const rankingKey = (spec: MeasureSpec) =>
  `vicreg-studio:backend-ranking:${[spec.backbone, spec.widthMult, spec.stem, spec.patchSize, spec.vitDepth, spec.width, spec.projector, spec.imageSize, spec.wasmThreads ?? 0].join('|')}`;

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

/** The dataset to open again on the next visit: 'sample' or a stored dataset's id. */
const LAST_DATASET = 'vicreg-studio:last-dataset';

async function load(how: () => Promise<DatasetSummary>, status: 'loading' | 'ingesting' = 'loading'): Promise<void> {
  useStore.getState().setDatasetStatus(status);
  try {
    const summary = await how();
    useStore.getState().setDataset(summary);
    localStorage.setItem(LAST_DATASET, summary.id.startsWith('sample:') ? 'sample' : summary.id);
  } catch (e) {
    useStore.getState().setIngest(null);
    useStore.getState().setDatasetStatus(useStore.getState().dataset ? 'ready' : 'failed', errorMessage(e));
  }
  void refreshStoredDatasets();
}

export function loadSampleDataset(): Promise<void> {
  const { config } = useStore.getState();
  return load(() => worker().loadSample(publicBase(), config.testFraction, config.seed));
}

export function ingestFiles(files: IngestFile[]): Promise<void> {
  const { config, setIngest } = useStore.getState();
  const startedMs = performance.now();
  setIngest({ done: 0, total: files.length, accepted: 0, skipped: 0, startedMs });
  const onProgress = callback((p: IngestProgress) => useStore.getState().setIngest({ ...p, startedMs }));
  return load(
    () => worker().ingest(files, { imageSize: config.imageSize, testFraction: config.testFraction, seed: config.seed }, onProgress),
    'ingesting',
  );
}

export const cancelIngest = () => worker().cancelIngest();

export function openStoredDataset(id: string): Promise<void> {
  const { config } = useStore.getState();
  return load(() => worker().openDataset(id, config.testFraction, config.seed));
}

export async function deleteStoredDataset(id: string): Promise<void> {
  try {
    await worker().deleteDataset(id);
    if (localStorage.getItem(LAST_DATASET) === id) localStorage.removeItem(LAST_DATASET);
  } catch (e) {
    useStore.getState().setDatasetStatus(useStore.getState().datasetStatus, errorMessage(e));
  }
  await refreshStoredDatasets();
}

export async function refreshStoredDatasets(): Promise<void> {
  try {
    useStore.getState().setStoredDatasets(await worker().listDatasets());
  } catch {
    // IndexedDB unavailable (private mode in some browsers): nothing stored to list.
  }
}

/** Seed or testFraction changed: the loaded dataset is split again. */
export function resplitDataset(): Promise<void> {
  const { config } = useStore.getState();
  return load(() => worker().resplit(config.testFraction, config.seed));
}

/** On start: the dataset used last time, if it is still there. */
export async function restoreLastDataset(): Promise<void> {
  await refreshStoredDatasets();
  const last = localStorage.getItem(LAST_DATASET);
  if (last === 'sample') await loadSampleDataset();
  else if (last && useStore.getState().storedDatasets.some((d) => d.id === last)) await openStoredDataset(last);
}

/** Charts redraw at most this often: on WASM a small model sends metrics ten times a second,
 *  and redrawing twelve charts each time kept the page from answering clicks. */
const CHART_INTERVAL_MS = 300;

/**
 * Metrics and diagnostics windows are merged and applied together every CHART_INTERVAL_MS; any
 * other event (state, warning) first applies what is pending, so order is kept.
 */
function throttledEvents(apply: (e: TrainEvent) => void): (e: TrainEvent) => void {
  let metrics: MetricRecord[] = [];
  let diagnostics: DiagnosticsRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (metrics.length) apply({ type: 'metrics', records: metrics });
    if (diagnostics.length) apply({ type: 'diagnostics', records: diagnostics });
    metrics = [];
    diagnostics = [];
  };
  return (e) => {
    if (e.type === 'metrics') metrics = metrics.concat(e.records);
    else if (e.type === 'diagnostics') diagnostics = diagnostics.concat(e.records);
    else {
      flush();
      apply(e);
      return;
    }
    timer ??= setTimeout(flush, CHART_INTERVAL_MS);
  };
}

let persistenceAsked = false;

/** Training events: checkpoint news goes to the checkpoint list, the rest (throttled) to the run. */
function trainEvents(): (e: TrainEvent) => void {
  const run = throttledEvents(useStore.getState().onTrainEvent);
  return (e) => {
    const s = useStore.getState();
    if (e.type === 'metrics') for (const r of e.records) stepTook(r.msPerStep);
    if (e.type === 'checkpoint') {
      s.upsertRun(e.run);
      // The first checkpoint of a visit asks the browser to keep the storage (it may decline).
      if (!persistenceAsked && !s.storage?.persisted) {
        persistenceAsked = true;
        void requestPersistence();
      } else void refreshStorage();
    } else if (e.type === 'checkpoint-error') {
      s.setCheckpoints({ checkpointNotice: { text: e.message, error: true } });
      void refreshStorage();
    } else {
      if (e.type === 'state' && e.runId) s.setCheckpoints({ currentRunId: e.runId });
      run(e);
    }
  };
}

export async function startTraining(): Promise<void> {
  const s = useStore.getState();
  s.resetRun();
  s.setCheckpoints({ evalSourceName: null, checkpointNotice: null, resumeOffer: null });
  try {
    await worker().train(s.config, callback(trainEvents()));
  } catch (e) {
    useStore.setState({ runState: 'failed', runMessage: errorMessage(e) });
  }
  void refreshRuns();
}

/**
 * Continues a stored run: opens its dataset if another is loaded, takes its config (keeping this
 * browser's runtime settings), and trains from its latest checkpoint (or `step`).
 */
export async function resumeRun(run: RunRecord, step?: number): Promise<void> {
  const s = useStore.getState();
  s.setCheckpoints({ resumeOffer: null, checkpointNotice: null, evalSourceName: null });
  if (s.dataset?.id !== run.dataset.id) {
    if (run.dataset.id.startsWith('sample:')) await loadSampleDataset();
    else if (s.storedDatasets.some((d) => d.id === run.dataset.id)) await openStoredDataset(run.dataset.id);
    else {
      s.setCheckpoints({
        checkpointNotice: {
          text: `run "${run.name}" trained on "${run.dataset.name}", which is no longer stored in this browser: add that folder again, then resume.`,
          error: true,
        },
      });
      return;
    }
    if (useStore.getState().dataset?.id !== run.dataset.id) return; // opening failed; the dataset panel says why
  }
  const { config } = useStore.getState();
  const { backend, metricsEvery, checkpointEvery, keepCheckpoints } = config;
  useStore.getState().setConfig({ ...run.config, backend, metricsEvery, checkpointEvery, keepCheckpoints });
  useStore.getState().resetRun();
  try {
    await worker().train(useStore.getState().config, callback(trainEvents()), { runId: run.runId, step });
  } catch (e) {
    // Refused before it started (the run trains in another tab): nothing failed here.
    if (e instanceof Error && e.name === RUN_OPEN_ELSEWHERE) {
      useStore.setState({ runState: 'idle' });
      useStore.getState().setCheckpoints({ checkpointNotice: { text: `Cannot resume: ${errorMessage(e)}`, error: true } });
    } else useStore.setState({ runState: 'failed', runMessage: errorMessage(e) });
  }
  void refreshRuns();
}

export const saveCheckpointNow = () => worker().saveCheckpoint();

/** The worker's memory now, or null while it cannot answer (a restart). */
export const readWorkerMemory = () =>
  worker()
    .memory()
    .catch(() => null);

export async function refreshRuns(): Promise<RunRecord[]> {
  try {
    const { runs, damaged } = await worker().listRuns();
    const openElsewhere = await worker().openRuns(runs.filter((r) => !r.finished).map((r) => r.runId));
    useStore.getState().setRuns(runs);
    useStore.getState().setCheckpoints({ openElsewhere, damagedRuns: damaged });
    return runs;
  } catch {
    return []; // IndexedDB unavailable: nothing stored to list
  }
}

/** Ticks a stored run into the comparison (reading its histories), or takes it out. */
export async function toggleCompare(runId: string): Promise<void> {
  const { compare } = useStore.getState();
  if (compare.some((h) => h.runId === runId)) {
    useStore.getState().setCheckpoints({ compare: compare.filter((h) => h.runId !== runId) });
    return;
  }
  try {
    const history = await worker().runHistory(runId);
    useStore.getState().setCheckpoints({ compare: [...useStore.getState().compare.filter((h) => h.runId !== runId), history] });
  } catch (e) {
    useStore.getState().setCheckpoints({ checkpointNotice: { text: `Cannot compare that run: ${errorMessage(e)}`, error: true } });
  }
}

/** Other tabs (and this tab's worker) announce changes to the stored runs (workers/checkpoint/tabs.ts). */
export function followStoredRuns(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  new BroadcastChannel(RUNS_CHANNEL).onmessage = () => void refreshRuns();
}

/**
 * Starts the studio's worker side: the backend, the last dataset, the offer to resume. On page
 * load, and again when the worker died (src/bridge.ts): then the run that was training is marked
 * failed with the reason, and its last checkpoint is offered for Resume.
 */
export function startWorker(): void {
  // The backend is measured in the background: the data, the settings and the stored runs are
  // usable at once; only what computes (Train, Resume, evaluation) waits for it.
  void chooseBackend(useStore.getState().config.backend);
  void restoreLastDataset().then(offerResume);
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

/** Backends this page must not use again: a lost GPU device is not trusted until a reload. */
const lostBackends: Partial<Record<BackendName, string>> = {};

onWorkerLost((why, gpuLost) => {
  if (gpuLost) lostBackends.webgpu = 'its GPU device was lost on this page; reload the page to try WebGPU again';
  const s = useStore.getState();
  const wasTraining = s.runState === 'running' || s.runState === 'paused' || s.runState === 'preparing';
  useStore.setState({
    runState: wasTraining ? 'failed' : s.runState,
    runMessage: wasTraining ? `${why}. A new worker was started; resume from the last checkpoint below.` : s.runMessage,
  });
  s.setCheckpoints({
    checkpointNotice: {
      text: `${why}. A new worker was started${wasTraining ? '; the run can resume from its last checkpoint' : ''}.`,
      error: true,
    },
  });
  startWorker();
});

/** On start: offer to resume the newest unfinished run (a reload or a crash mid-run), unless another tab trains it. */
export async function offerResume(): Promise<void> {
  const runs = await refreshRuns();
  const s = useStore.getState();
  const unfinished = runs.find((r) => !r.finished && !s.openElsewhere.includes(r.runId));
  if (unfinished && (s.runState === 'idle' || s.runState === 'failed')) s.setCheckpoints({ resumeOffer: unfinished });
  void refreshStorage();
}

export async function refreshStorage(): Promise<void> {
  if (!navigator.storage?.estimate) return;
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted?.() ?? false]);
  useStore.getState().setCheckpoints({ storage: { usage, quota, persisted } });
}

/** Asks the browser not to evict the checkpoints under storage pressure (it may say no). */
export async function requestPersistence(): Promise<void> {
  await navigator.storage?.persist?.().catch(() => false);
  await refreshStorage();
}

export async function deleteCheckpoint(runId: string, step?: number): Promise<void> {
  await worker().deleteCheckpoint(runId, step);
  await refreshRuns();
  void refreshStorage();
}

/** Saves a worker-made file through the browser's download (a worker cannot start one). */
function download(f: ExportFile) {
  const url = URL.createObjectURL(new Blob([f.bytes as BlobPart], { type: f.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export type ExportKind = 'weights' | 'checkpoint' | 'pytorch' | 'embeddings';

export async function exportRun(kind: ExportKind, runId: string, step: number): Promise<void> {
  const s = useStore.getState();
  s.setCheckpoints({ exporting: { what: `${kind} of step ${step}`, done: 0, total: 0 }, checkpointNotice: null });
  try {
    const w = worker();
    const file =
      kind === 'weights'
        ? await w.exportWeights(runId, step)
        : kind === 'checkpoint'
          ? await w.exportCheckpoint(runId, step)
          : kind === 'pytorch'
            ? await w.exportPytorch(runId, step)
            : await w.exportEmbeddings(
                runId,
                step,
                callback((done: number, total: number) =>
                  useStore.getState().setCheckpoints({ exporting: { what: `embeddings of step ${step}`, done, total } }),
                ),
              );
    download(file);
  } catch (e) {
    useStore.getState().setCheckpoints({ checkpointNotice: { text: `Export failed: ${errorMessage(e)}`, error: true } });
  } finally {
    useStore.getState().setCheckpoints({ exporting: null });
  }
}

export async function importCheckpointFile(file: File): Promise<void> {
  const s = useStore.getState();
  s.setCheckpoints({ checkpointNotice: null });
  try {
    if (file.size > MAX_IMPORT_BYTES) {
      throw new Error(
        `the file is ${(file.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_IMPORT_BYTES / 2 ** 20} MiB a checkpoint of the largest recipe needs: it is not a VICReg Studio checkpoint`,
      );
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const run = await worker().importCheckpoint(transfer(bytes, [bytes.buffer]), file.name);
    useStore.getState().upsertRun(run);
    const last = run.checkpoints[run.checkpoints.length - 1];
    useStore
      .getState()
      .setCheckpoints({ checkpointNotice: { text: `Imported "${run.name}" at step ${last.step} from ${file.name}.`, error: false } });
  } catch (e) {
    useStore.getState().setCheckpoints({ checkpointNotice: { text: `${file.name} was not imported: ${errorMessage(e)}`, error: true } });
  }
  void refreshStorage();
}

/** Evaluations (Probe, k-NN, map) use this stored checkpoint until a run starts or it is cleared. */
export async function evaluateCheckpoint(runId: string | null, step?: number): Promise<void> {
  try {
    const name = await worker().evaluateCheckpoint(runId ? { runId, step } : null);
    useStore.getState().setCheckpoints({ evalSourceName: name, checkpointNotice: null });
    document.querySelector('[data-testid="eval-panel"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (e) {
    useStore.getState().setCheckpoints({ checkpointNotice: { text: `Cannot evaluate that checkpoint: ${errorMessage(e)}`, error: true } });
  }
}

export const pauseTraining = () => worker().pause();
export const resumeTraining = () => worker().resume();
export const stopTraining = () => worker().stop();

/** New images through the evaluated weights (the config's readout and k-NN settings). */
export function inferImages(files: File[], onProgress: (done: number, total: number) => void) {
  return worker().infer(files, useStore.getState().config, callback(onProgress));
}

export async function runEvaluation(kind: EvalKind): Promise<void> {
  const { config, setEvaluation } = useStore.getState();
  const startedMs = performance.now();
  setEvaluation(kind, { status: 'running', error: null, progress: { done: 0, total: 1, startedMs } });
  const onProgress = callback((done: number, total: number) =>
    useStore.getState().setEvaluation(kind, { progress: { done, total, startedMs } }),
  );
  try {
    const report = await worker().evaluate(config, kind, onProgress);
    useStore.getState().setEvaluation(kind, { status: 'done', report, progress: null });
    void refreshRuns(); // the figures are kept with the checkpoint of those weights
  } catch (e) {
    useStore.getState().setEvaluation(kind, { status: 'failed', error: errorMessage(e), progress: null });
  }
}

export const cancelEvaluation = () => worker().cancelEvaluation();
