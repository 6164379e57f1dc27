// Actions that talk to the worker. They live at module level and write the store with setState,
// so they need no hook and the worker's callbacks reach the store directly.
import type { DatasetSummary, DiagnosticsRecord, EvalKind, IngestFile, IngestProgress, MeasureSpec, MetricRecord, TrainEvent } from '../workers/contract/api';
import type { BackendChoice, BackendName } from '../workers/contract/config';
import { callback, publicBase, worker } from './bridge';
import { useStore } from './store';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** auto's ranking of the backends, per model: measuring takes seconds, so a visit reuses it. */
const rankingKey = (spec: MeasureSpec) => `vicreg-studio:backend-ranking:${spec.width}|${spec.projector}|${spec.imageSize}`;

export async function chooseBackend(choice: BackendChoice, remeasure = false): Promise<void> {
  const s = useStore.getState();
  s.setBackend(s.backend, 'selecting');
  const { width, projector, imageSize } = s.config;
  const spec = { width, projector, imageSize };
  if (remeasure) localStorage.removeItem(rankingKey(spec));
  const cached = choice === 'auto' ? (JSON.parse(localStorage.getItem(rankingKey(spec)) ?? 'null') as BackendName[] | null) : null;
  try {
    const report = await worker().selectBackend(choice, spec, cached ?? undefined);
    if (report.chosenBy === 'measured') {
      const ranking = report.attempts.filter((a) => a.msPerImage !== undefined).sort((a, b) => a.msPerImage! - b.msPerImage!).map((a) => a.name);
      localStorage.setItem(rankingKey(spec), JSON.stringify(ranking));
    }
    useStore.getState().setBackend(report, 'ready');
  } catch (e) {
    useStore.getState().setBackend(null, 'failed', message(e));
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
    useStore.getState().setDatasetStatus(useStore.getState().dataset ? 'ready' : 'failed', message(e));
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
  return load(() => worker().ingest(files, { imageSize: config.imageSize, testFraction: config.testFraction, seed: config.seed }, onProgress), 'ingesting');
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
    useStore.getState().setDatasetStatus(useStore.getState().datasetStatus, message(e));
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

export async function startTraining(): Promise<void> {
  const s = useStore.getState();
  s.resetRun();
  try {
    await worker().train(s.config, callback(throttledEvents(useStore.getState().onTrainEvent)));
  } catch (e) {
    useStore.setState({ runState: 'failed', runMessage: message(e) });
  }
}

export const pauseTraining = () => worker().pause();
export const resumeTraining = () => worker().resume();
export const stopTraining = () => worker().stop();

export async function runEvaluation(kind: EvalKind): Promise<void> {
  const { config, setEvaluation } = useStore.getState();
  const startedMs = performance.now();
  setEvaluation(kind, { status: 'running', error: null, progress: { done: 0, total: 1, startedMs } });
  const onProgress = callback((done: number, total: number) => useStore.getState().setEvaluation(kind, { progress: { done, total, startedMs } }));
  try {
    const report = await worker().evaluate(config, kind, onProgress);
    useStore.getState().setEvaluation(kind, { status: 'done', report, progress: null });
  } catch (e) {
    useStore.getState().setEvaluation(kind, { status: 'failed', error: message(e), progress: null });
  }
}

export const cancelEvaluation = () => worker().cancelEvaluation();
