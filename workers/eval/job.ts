// One evaluation as its parts take it (./report.ts, ./probe.ts, ./finetune.ts, ./session.ts), built
// once per call by the worker's host (workers/host/eval.ts, workers/host/embed.ts).
import type { TrainConfig } from '../contract/config';
import type { Dataset } from '../dataset/dataset';
import type { EvalWeights } from './session';

/**
 * The weights evaluated, the dataset split they are evaluated on, the settings, progress and cancel.
 *
 * Two configs meet here, and each decides its own fields:
 * - `weights.config`, the one the weights were trained with (a stored checkpoint's own), decides
 *   what must match the weights: the architecture of every model built beside them (the copies,
 *   the random-init row, with its seed, and the supervised baseline's init), the image size every
 *   image is embedded and trained at, the batch size of BatchNorm adaptation and of the baselines,
 *   the view-1 augmentation both of a baseline's choices start from, and the run's epochs where a
 *   baseline's length falls back to them;
 * - `config`, the page's, decides how they are read out and scored: featLayer, featPool and
 *   bnAdaptSteps, the k-NN's k and T, the linear probe's settings, the seed of everything the
 *   evaluation draws (BatchNorm adaptation's batches, the map's sample, the probe, a baseline's
 *   shuffle, head and supervised init), and a baseline's length and augmentation choice
 *   (baselineEpochs, budgetMinutes, baselineAugment).
 */
export interface EvalJob {
  weights: EvalWeights;
  data: Dataset;
  config: TrainConfig;
  /** `phase` names a preliminary step (LP-FT fitting its probe first); none for the evaluation itself. */
  onProgress: (done: number, total: number, phase?: string) => void;
  cancelled: () => boolean;
}
