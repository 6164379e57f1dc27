// Collapse warnings, raised from the metrics, diagnostics and online k-NN points the trainer
// already reads back.
// Each kind fires once per run per feature set, at the first step its condition holds, so the
// user sees when trouble began rather than a flood.
import type { DiagnosticsRecord, KnnBaselines, KnnRecord, MetricRecord, WarningKind } from '../contract/api';
import type { PairedDifference } from '../eval/intervals';

export interface RunWarning {
  step: number;
  kind: WarningKind;
  message: string;
}

/** Below this a dimension carries almost no signal (sqrt of the official eps, 1e-4, is 0.01). */
export const STD_FLOOR = 0.01;
/** Above this the batch's samples point the same way: representations are collapsing. */
export const COSINE_CEILING = 0.9;
/** "Covariance near 0 while the variance hinge stays high" (a sign of collapse the hinge alone hides):
 *  near 0: below COV_FLOOR; high: above half its maximum, which
 *  is gammaT (every std at 0). Held for COV_STEPS consecutive steps so a noisy step is ignored. */
export const COV_FLOOR = 1e-3;
export const COV_STEPS = 5;
/** "Below the pixel line for long": this many online k-NN points in a row after the warmup ... */
export const BELOW_PIXELS_POINTS = 3;
/** ... spanning at least this share of the run's steps. */
export const BELOW_PIXELS_SHARE = 0.2;

export class CollapseWatch {
  private fired = new Set<string>();
  private covRun = 0;

  /** Warnings from one step's loss terms. */
  onMetrics(r: MetricRecord): RunWarning[] {
    const out: RunWarning[] = [];
    if (!Number.isFinite(r.loss)) {
      this.once(
        out,
        'non-finite',
        'non-finite',
        r.step,
        `the loss became ${r.loss}, so the run was stopped. Lower baseLr, turn on gradClip, or check the data.`,
      );
      return out;
    }
    const hingeHigh = r.variance > 0.5 * r.gammaT;
    this.covRun = r.covariance < COV_FLOOR && hingeHigh ? this.covRun + 1 : 0;
    if (this.covRun >= COV_STEPS) {
      this.once(
        out,
        'cov-zero',
        'cov-zero',
        r.step - COV_STEPS + 1,
        `covariance term ${r.covariance.toExponential(1)} (near 0) while the variance hinge stays at ${r.variance.toFixed(2)} of at most ${r.gammaT.toFixed(2)}: the embeddings have collapsed to near-constant. Lower baseLr or raise stdCoeff.`,
      );
    }
    return out;
  }

  /** Warnings from one diagnostics record (projector and backbone). */
  onDiagnostics(d: DiagnosticsRecord): RunWarning[] {
    const out: RunWarning[] = [];
    for (const where of ['projector', 'backbone'] as const) {
      const f = d[where];
      if (f.stdMin < STD_FLOOR) {
        // A constant backbone channel is often a dead ReLU unit rather than collapse: say both.
        const why = where === 'projector' ? 'a collapse risk' : 'a dead ReLU channel or a collapsing dimension';
        this.once(
          out,
          'std-collapse',
          `std-${where}`,
          d.step,
          `${where} output: the smallest per-dimension std is ${f.stdMin.toPrecision(2)} (< ${STD_FLOOR}), ${why}. If it spreads (see the std charts), raise stdCoeff or lower baseLr.`,
        );
      }
      if (f.cosine > COSINE_CEILING) {
        this.once(
          out,
          'cosine',
          `cosine-${where}`,
          d.step,
          `${where} output: mean pairwise cosine similarity ${f.cosine.toFixed(2)} (> ${COSINE_CEILING}), the features are collapsing towards one direction.`,
        );
      }
    }
    return out;
  }

  /**
   * From the online k-NN curve: after the warmup, once the trained encoder has stayed below the
   * raw-pixel line for BELOW_PIXELS_POINTS points in a row spanning at least BELOW_PIXELS_SHARE of
   * the run, say so with what tends to help (docs/recipes.md). Below means below beyond noise where
   * the point comes with its paired difference to the line (`vsPixels`, trained − pixels on the same
   * test images): its 95% interval under zero; a point within noise breaks the run of points.
   */
  onKnn(
    r: KnnRecord,
    lines: Pick<KnnBaselines, 'pixels'>,
    schedule: { warmupSteps: number; totalSteps: number },
    vsPixels: PairedDifference | null = null,
  ): RunWarning[] {
    const out: RunWarning[] = [];
    if (r.step <= schedule.warmupSteps) return out;
    if (vsPixels ? vsPixels.hi >= 0 : r.top1 >= lines.pixels) {
      this.belowSince = null;
      this.belowPoints = 0;
      return out;
    }
    this.belowSince ??= r.step;
    this.belowPoints++;
    if (this.belowPoints >= BELOW_PIXELS_POINTS && r.step - this.belowSince >= BELOW_PIXELS_SHARE * schedule.totalSteps) {
      this.once(
        out,
        'below-pixels',
        'below-pixels',
        this.belowSince,
        `online k-NN has stayed below the raw-pixel line since step ${this.belowSince} (now ${(100 * r.top1).toFixed(1)}% against ${(100 * lines.pixels).toFixed(1)}%${vsPixels ? `, ${(100 * vsPixels.diff).toFixed(1)} points, 95% paired interval ${(100 * vsPixels.lo).toFixed(1)} to ${(100 * vsPixels.hi).toFixed(1)}` : ''}): the encoder has not yet learned more than the pixels hold. Try a longer budget (budgetMinutes), the studio's small-image recipe (Recipe: "Small images in minutes"), or a larger batch.`,
      );
    }
    return out;
  }

  private belowSince: number | null = null;
  private belowPoints = 0;

  private once(out: RunWarning[], kind: WarningKind, key: string, step: number, message: string) {
    if (this.fired.has(key)) return;
    this.fired.add(key);
    out.push({ step, kind, message });
  }
}
