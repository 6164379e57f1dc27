// The training events' way to the charts: metrics come many times a second, the charts redraw at
// a pace the page keeps up with. src/train/actions.ts sends the run's events through here;
// checkpoint news goes past it, to the list at once.
import type { DiagnosticsRecord, MetricRecord, PhaseReport, TrainEvent } from '../../workers/contract/api';

/** Charts redraw at most this often: on WASM a small model sends metrics ten times a second,
 *  and redrawing twelve charts each time kept the page from answering clicks. Every 0.5 s they
 *  kept the page's thread busy 27% of a default run's time, every 1.5 s 17%, on a 2-core machine
 *  where that time comes out of the training's (bench/loop.ts). The step count moves at once. */
export const CHART_INTERVAL_MS = 1500;

/**
 * Metrics and diagnostics windows are merged and applied together every CHART_INTERVAL_MS, with
 * the latest report of where the loop's time goes; any other event (state, warning) first applies
 * what is pending, so order is kept.
 */
export function throttledEvents(apply: (e: TrainEvent) => void, onStep: (step: number) => void = () => {}): (e: TrainEvent) => void {
  let metrics: MetricRecord[] = [];
  let diagnostics: DiagnosticsRecord[] = [];
  let phases: PhaseReport | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (metrics.length) apply({ type: 'metrics', records: metrics });
    if (diagnostics.length) apply({ type: 'diagnostics', records: diagnostics });
    if (phases) apply({ type: 'phases', report: phases });
    metrics = [];
    diagnostics = [];
    phases = null;
  };
  return (e) => {
    if (e.type === 'metrics') {
      metrics = metrics.concat(e.records);
      const last = e.records.at(-1);
      if (last) onStep(last.step);
    } else if (e.type === 'diagnostics') diagnostics = diagnostics.concat(e.records);
    else if (e.type === 'phases') phases = e.report;
    else {
      flush();
      apply(e);
      return;
    }
    timer ??= setTimeout(flush, CHART_INTERVAL_MS);
  };
}
