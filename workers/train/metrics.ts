// The metrics read-back. Each step's loss terms (and, every diagEvery steps, its collapse
// diagnostics) stay on the device until a window of metricsEvery steps is full; the window is then
// read in one asynchronous readback. At most one read is in flight, which bounds how far the device
// queue can run ahead of the loop, and no step waits for its own numbers.
import * as tf from '@tensorflow/tfjs';
import type { DiagnosticsRecord, MetricRecord } from '../contract/api';
import { appendHistory } from '../contract/history';
import { readDiagnostics } from '../vicreg/diagnostics';
import { fail, type Run } from './run';
import { PACKED, type StepOutput } from './step';

/** A step's outputs, still on the device, with what the loop knew when it ran. */
export type PendingStep = { step: number; epoch: number; lr: number; dataMs?: number; computeMs?: number } & StepOutput;

/** Sizes the diagnostics unpacking needs: the batch and the two embedding widths. */
export interface DiagnosticsDims {
  b: number;
  projector: number;
  backbone: number;
}

export class MetricsWindow {
  history: MetricRecord[];
  diagnostics: DiagnosticsRecord[];
  private pending: PendingStep[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private windowStart = performance.now();
  private readonly dims: DiagnosticsDims;

  /** Its clock starts now. */
  constructor(private readonly run: Run) {
    const { loop, ctx, resume } = run;
    this.dims = { b: loop.config.batchSize, projector: ctx.model.projector.outDim, backbone: ctx.model.backbone.featureDim };
    this.history = resume?.metrics ?? [];
    this.diagnostics = resume?.diagnostics ?? [];
  }

  /** Queues a step's outputs; a full window goes to be read. */
  async push(p: PendingStep): Promise<void> {
    this.pending.push(p);
    if (this.pending.length >= this.run.loop.config.metricsEvery) await this.flush();
  }

  /** Sends the queued steps to be read (after the read in flight), without waiting for them. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const window = this.pending;
    this.pending = [];
    const clock = this.run.loop.phases;
    const diagSteps = window.filter((w) => w.diagnostics);
    const [block, diagBlock] = clock.time('readback', () => {
      const rows = tf.stack(window.map((w) => w.row));
      tf.dispose(window.map((w) => w.row));
      const diagTensors = diagSteps.flatMap((w) => [w.diagnostics!.projector, w.diagnostics!.backbone]);
      const diag = diagSteps.length ? tf.concat(diagTensors) : null;
      tf.dispose(diagTensors);
      return [rows, diag] as const;
    });
    await clock.wait('readback', this.inFlight);
    const read = clock.time('readback', () => Promise.all([block.data(), diagBlock?.data()]));
    this.inFlight = read.then(([values, diagValues]) =>
      clock.time('readback', () => {
        block.dispose();
        diagBlock?.dispose();
        const steps = diagSteps.map((w) => w.step);
        this.report(window, values, diagValues ? unpackDiagnostics(diagValues, steps, this.dims) : []);
      }),
    );
  }

  /** Every queued step read and reported. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  /** Restarts the per-step clock: paused time is not step time. */
  restartClock(now: number): void {
    this.windowStart = now;
  }

  /** Frees the steps never read (a run that threw). */
  dispose(): void {
    tf.dispose(this.pending.flatMap((p) => [p.row, ...(p.diagnostics ? [p.diagnostics.projector, p.diagnostics.backbone] : [])]));
  }

  private report(window: PendingStep[], values: ArrayLike<number>, diagnostics: DiagnosticsRecord[]): void {
    const now = performance.now();
    const msPerStep = (now - this.windowStart) / window.length;
    this.windowStart = now;
    const { loop, emit, watch } = this.run;
    const batchSize = loop.config.batchSize;
    const records: MetricRecord[] = window.map((w, i) => {
      const r = Object.fromEntries(PACKED.map((k, j) => [k, values[i * PACKED.length + j]])) as Record<(typeof PACKED)[number], number>;
      const timing = w.dataMs === undefined ? {} : { dataMs: w.dataMs, computeMs: w.computeMs };
      return { step: w.step, epoch: w.epoch, lr: w.lr, ...r, msPerStep, imagesPerSec: (1000 * batchSize) / msPerStep, ...timing };
    });
    const bad = records.find((r) => !Number.isFinite(r.loss));
    if (bad) fail(this.run, `the loss became ${bad.loss} at step ${bad.step}; training stopped. Lower baseLr or check the data.`);
    const good = records.filter((r) => Number.isFinite(r.loss));
    this.history = appendHistory(this.history, good);
    emit({ type: 'metrics', records: good });
    emit({ type: 'phases', report: loop.phases.report() });
    if (diagnostics.length) {
      this.diagnostics = appendHistory(this.diagnostics, diagnostics);
      emit({ type: 'diagnostics', records: diagnostics });
    }
    const warnings = [...records.flatMap((r) => watch.onMetrics(r)), ...diagnostics.flatMap((d) => watch.onDiagnostics(d))];
    for (const w of warnings) emit({ type: 'warning', ...w });
  }
}

/** Splits the concatenated diagnostics read (per step: projector then backbone) into records. */
function unpackDiagnostics(values: ArrayLike<number>, steps: number[], dims: DiagnosticsDims): DiagnosticsRecord[] {
  const size = (n: number) => 5 + Math.min(dims.b, n) ** 2;
  const records: DiagnosticsRecord[] = [];
  let at = 0;
  for (const step of steps) {
    const p = Array.prototype.slice.call(values, at, (at += size(dims.projector)));
    const f = Array.prototype.slice.call(values, at, (at += size(dims.backbone)));
    records.push({ step, projector: readDiagnostics(p, dims.b, dims.projector), backbone: readDiagnostics(f, dims.b, dims.backbone) });
  }
  return records;
}
