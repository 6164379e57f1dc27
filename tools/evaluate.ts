// The Evaluate panel's k-NN and linear probe for scripts that train in Node (tools/eval-node.ts,
// bench/study.ts): the worker's own code (workers/eval/report.ts), with nothing to cancel it and
// no progress bar to feed.
import type { EvalKind, EvalReport } from '../workers/contract/api';
import type { TrainConfig } from '../workers/contract/config';
import type { Dataset } from '../workers/dataset/dataset';
import type { FeatureCache } from '../workers/eval/cache';
import type { EvalJob } from '../workers/eval/job';
import { evaluationReport } from '../workers/eval/report';
import { type EvalWeights, rowFeatures } from '../workers/eval/session';

/** `kind`'s table (trained / random init / raw pixels) for weights `w`; `cache` shares each row's features between kinds. */
export function evaluateInNode(
  kind: EvalKind,
  cache: FeatureCache,
  w: EvalWeights,
  data: Dataset,
  config: TrainConfig,
): Promise<EvalReport> {
  const job: EvalJob = { weights: w, data, config, onProgress: () => {}, cancelled: () => false };
  return evaluationReport(job, kind, rowFeatures(cache, job));
}
