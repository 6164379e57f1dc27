// The worker's evaluation calls (EvalApi in ../contract/api.ts) on the weights ./state.ts's
// evalWeights picks: the last run's, a snapshot of the one training, or a stored checkpoint's.
import type { EvalApi, EvalReport } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import { loadProbeHead, saveProbeHead } from '../checkpoint/probe-store';
import { browserKv, recordResults } from '../checkpoint/run-db';
import { openCheckpoint, runFromCheckpoint } from './checkpoint-service';
import { announceRunsChanged } from '../checkpoint/tabs';
import { resplit, type Dataset } from '../dataset/dataset';
import { decodeImages, MAX_INFER_IMAGES } from '../dataset/ingest';
import {
  baselines,
  cancelCheck,
  disposeEvalCheckpoint,
  features,
  probeHeads,
  rememberBaseline,
  rememberProbeHead,
  requireBackend,
  requireDataset,
  state,
  withEvalWeights,
} from './state';
import { type BaselineKind, baselineLength } from '../eval/finetune';
import { infer } from '../eval/infer';
import type { EvalJob } from '../eval/job';
import { fitProbe, type ProbeHead } from '../eval/probe';
import { baselineReport, evaluationReport } from '../eval/report';
import { featureKey, featureMap, rowFeatures, neighbours, readoutKey } from '../eval/session';

export const evalApi: EvalApi = {
  async evaluate(config, kind, onProgress) {
    requireBackend();
    return withEvalJob(requireDataset(), config, onProgress, async (job) => {
      const runId = state.evalCheckpoint?.runId ?? state.currentRunId;
      const report =
        kind === 'finetune' || kind === 'supervised'
          ? await baseline(job, kind)
          : await evaluationReport(job, kind, rowFeatures(features, job), (head) => void keepProbeHead(job, head));
      if (runId && (await recordResults(browserKv(), runId, report.step, report).catch(() => null))) announceRunsChanged();
      return report;
    });
  },
  async featureMap(config, onProgress) {
    requireBackend();
    return withEvalJob(requireDataset(), config, onProgress, (job) => featureMap(features, job));
  },
  async neighbours(key, test, k) {
    const data = requireDataset();
    const pair = features.peek(key, data);
    if (!pair) throw new Error('the features of this map are no longer cached (another dataset, split or run): draw the map again');
    try {
      return await neighbours(pair, data, test, k);
    } finally {
      pair.train.dispose();
      pair.test.dispose();
    }
  },
  async infer(files, config, onProgress) {
    requireBackend();
    const data = requireDataset('load the dataset the weights were trained on first: new images are compared with its training split');
    if (files.length > MAX_INFER_IMAGES) throw new Error(`${files.length} images: give at most ${MAX_INFER_IMAGES} at a time`);
    if (data.summary.unlabeled || data.summary.classes.length < 2)
      throw new Error('inference names classes: it needs a dataset with at least two class folders');
    return withEvalJob(data, config, onProgress, async (job) => {
      const images = await decodeImages(files, data.shape.height);
      const pair = await rowFeatures(features, job)('trained', onProgress);
      pair.test.dispose();
      try {
        return await infer(job, pair.train, images, await keptProbeHead(job));
      } finally {
        pair.train.dispose();
      }
    });
  },
  cancelEvaluation: () => {
    state.evalGeneration++;
  },
  async evaluateCheckpoint(source) {
    requireBackend();
    disposeEvalCheckpoint();
    if (!source) return null;
    const { checkpoint, config } = await openCheckpoint(browserKv(), source.runId, source.step);
    const m = checkpoint.meta;
    if (state.dataset && m.dataset.id === state.dataset.summary.id)
      state.dataset = resplit(state.dataset, config.testFraction, config.seed);
    state.evalCheckpoint = {
      key: `ckpt:${m.runId}:${m.step}`,
      name: `${m.runName}, step ${m.step}`,
      runId: m.runId,
      run: runFromCheckpoint(checkpoint, config),
    };
    return state.evalCheckpoint.name;
  },
};

/** Runs `f` on a job for the weights to evaluate (./state.ts withEvalWeights: a copy, freed when
 *  `f` settles) on `data`, cancelled by any cancelEvaluation from now on. */
export function withEvalJob<T>(
  data: Dataset,
  config: TrainConfig,
  onProgress: EvalJob['onProgress'],
  f: (job: EvalJob) => Promise<T>,
): Promise<T> {
  const cancelled = cancelCheck();
  return withEvalWeights((weights) => f({ weights, data, config, onProgress, cancelled }));
}

/** Where the weights evaluated are stored: the checkpoint's run, or the run training or trained here. */
const storedRun = () => state.evalCheckpoint?.runId ?? state.currentRunId;
const fitOn = (data: Dataset) => ({ datasetId: data.summary.id, classes: data.summary.classes.map((k) => k.name) });

/** Keeps a fitted probe head in memory and with the stored checkpoint of these weights
 *  (../checkpoint/probe-store.ts), so that inference and LP-FT after a reload use it. */
async function keepProbeHead({ weights: w, config, data }: EvalJob, head: ProbeHead): Promise<void> {
  rememberProbeHead(featureKey(w, config, 'trained'), head);
  const runId = storedRun();
  if (runId) await saveProbeHead(browserKv(), { runId, step: w.step }, readoutKey(config), fitOn(data), head).catch(() => false);
}

/** The probe head fit on these weights and this readout: in memory, else kept with their checkpoint. */
async function keptProbeHead({ weights: w, config, data }: EvalJob): Promise<ProbeHead | null> {
  const key = featureKey(w, config, 'trained');
  const inMemory = probeHeads.get(key);
  if (inMemory) return inMemory;
  const runId = storedRun();
  const stored = runId
    ? await loadProbeHead(browserKv(), { runId, step: w.step }, readoutKey(config), fitOn(data)).catch(() => null)
    : null;
  if (stored) rememberProbeHead(key, stored);
  return stored;
}

/** The linear probe of the job's trained features under its readout and probe settings: kept
 *  from the probe button, or fit now (and kept). */
async function probeHead(job: EvalJob): Promise<ProbeHead> {
  const kept = await keptProbeHead(job);
  if (kept) return kept;
  const { config, onProgress } = job;
  const pair = await rowFeatures(features, job)('trained', (d, t) => onProgress(d, t, 'embedding the images for its linear probe'));
  onProgress(0, config.probeEpochs, 'fitting the linear probe it starts from');
  try {
    const p = await fitProbe(job, pair, (epoch) => onProgress(epoch, config.probeEpochs, 'fitting the linear probe it starts from'));
    await keepProbeHead(job, p.head);
    return p.head;
  } finally {
    pair.train.dispose();
    pair.test.dispose();
  }
}

/** A fine-tune or supervised report, cached per weights and settings as features are: the same
 *  request answers at once. */
async function baseline(job: EvalJob, kind: BaselineKind): Promise<EvalReport> {
  const { weights: w, data, config } = job;
  const length = baselineLength(w.trainedMs, w.config.epochs, config);
  const probeSettings = `${config.probeEpochs}|${config.probeLr}|${config.probeWeightDecay}|${config.probeOptimizer}`;
  const key = `${kind}|${kind === 'finetune' ? `${featureKey(w, config, 'trained')}|${probeSettings}` : `${w.source}|random`}|${data.summary.id}|${config.seed}|${config.testFraction}|${JSON.stringify(length)}|${config.baselineAugment}`;
  const cached = baselines.get(key);
  if (cached) return { ...cached, cached: true };
  // LP-FT starts from the trained encoder's linear probe on the readout the page evaluates with:
  // the one the probe button fit, or one fit now.
  const probe = kind === 'finetune' && config.featLayer === 'pool' ? { head: await probeHead(job), pool: config.featPool } : undefined;
  const report = await baselineReport(job, kind, length, probe);
  rememberBaseline(key, report);
  return report;
}
