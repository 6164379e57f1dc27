import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MetricRecord, TrainEvent } from '../contract/api';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { fromPixels } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { learningRate } from '../optim/schedule';
import type { Checkpoint } from '../checkpoint/record';
import { RunControl } from './run';
import { train } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 120 random 12×12 grayscale images in 3 classes: enough to exercise the loop, not to learn. */
function syntheticDataset() {
  const rand = mulberry32(4);
  const n = 120;
  const pixels = Uint8Array.from({ length: n * 144 }, () => Math.floor(rand() * 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return fromPixels(pixels, { count: n, height: 12, width: 12, channels: 1 }, labels, ['a', 'b', 'c'], {
    id: 'synthetic',
    name: 'synthetic',
    source: 'test',
    testFraction: 0.2,
    seed: 0,
  });
}

const small: Partial<TrainConfig> = { batchSize: 8, imageSize: 8, width: 2, projector: '16-16', metricsEvery: 3 };

function release(run: { model: { dispose(): void }; optimizer: { dispose(): void } }, _data?: unknown) {
  run.model.dispose();
  run.optimizer.dispose();
}

function collect() {
  const events: TrainEvent[] = [];
  const records = () => events.flatMap((e) => (e.type === 'metrics' ? e.records : [])) as MetricRecord[];
  return { events, records, emit: (e: TrainEvent) => events.push(e) };
}

describe('train', () => {
  it('streams one finite record per step and keeps tf.memory() flat across epochs', async () => {
    const data = syntheticDataset();
    // Online k-NN off: a point in flight holds its two readback tensors at any metrics event.
    const c = { ...DEFAULT_CONFIG, ...small, epochs: 6, knnEvery: -1 };
    const control = new RunControl();
    const memory: number[][] = [];
    const { events, records, emit } = collect();
    const run = await train(data, c, control, (e) => {
      emit(e);
      if (e.type === 'metrics') memory.push([tf.memory().numTensors, tf.memory().numBytes]);
    });
    expect(run.state).toBe('done');
    const steps = Math.floor(96 / 8) * 6;
    expect(run.step).toBe(steps);
    expect(records().map((r) => r.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    for (const r of records()) for (const v of Object.values(r)) expect(Number.isFinite(v)).toBe(true);
    // Diagnostics at step 1 and every diagEvery (10) steps, finite, RankMe within [1, min(B, n)].
    const diags = events.flatMap((e) => (e.type === 'diagnostics' ? e.records : []));
    expect(diags.map((d) => d.step)).toEqual([1, ...Array.from({ length: steps / 10 }, (_, i) => 10 * (i + 1))]);
    for (const d of diags) {
      for (const v of [...Object.values(d.projector), ...Object.values(d.backbone)]) expect(Number.isFinite(v)).toBe(true);
      expect(d.projector.rankMe).toBeGreaterThanOrEqual(1);
      expect(d.projector.rankMe).toBeLessThanOrEqual(8 + 1e-3);
      expect(d.projector.stdMin).toBeLessThanOrEqual(d.projector.stdMean);
      expect(d.projector.stdMean).toBeLessThanOrEqual(d.projector.stdMax);
    }
    // Data and compute time are measured on the diagnostics steps after the first.
    const timed = records().filter((r) => r.dataMs !== undefined);
    expect(timed.map((r) => r.step)).toEqual(Array.from({ length: 7 }, (_, i) => 10 * (i + 1)));
    for (const r of timed) expect(r.dataMs).toBeGreaterThan(0), expect(r.computeMs).toBeGreaterThan(0);
    // After the first windows (optimizer slots are created lazily) the live tensors do not grow.
    expect(memory[memory.length - 1]).toEqual(memory[3]);
    // Where the loop's time went: every step counted, the step the largest phase, nothing over
    // the wall time; the UI had the same report as the run's last event of its kind.
    const phases = run.phases!;
    expect([phases.steps, phases.images]).toEqual([steps, steps * 8]);
    const busy = Object.values(phases.ms).reduce((a, b) => a + b, 0);
    expect(busy + phases.idleMs).toBeCloseTo(phases.wallMs, 3);
    expect(Math.max(...Object.values(phases.ms))).toBe(phases.ms.step);
    const reports = events.flatMap((e) => (e.type === 'phases' ? [e.report] : []));
    expect(reports.at(-1)).toEqual(phases);
    release(run, data);
  });

  it('pauses and stops cooperatively, keeping the model', async () => {
    const data = syntheticDataset();
    const control = new RunControl();
    const { events, emit } = collect();
    const done = train(data, { ...DEFAULT_CONFIG, ...small, epochs: 50 }, control, (e) => {
      emit(e);
      if (e.type === 'state' && e.state === 'paused') setTimeout(() => control.stop(), 50);
    });
    setTimeout(() => control.pause(), 200);
    const run = await done;
    expect(run.state).toBe('stopped');
    expect(events.some((e) => e.type === 'state' && e.state === 'paused')).toBe(true);
    expect(run.step).toBeGreaterThan(0);
    expect(run.step).toBeLessThan(12 * 50);
    expect(run.model.store.params.length).toBeGreaterThan(0);
    release(run, data);
  });

  it('stops a diverging run at the first non-finite loss and says at which step', async () => {
    const data = syntheticDataset();
    const control = new RunControl();
    const { events, records, emit } = collect();
    const c = { ...DEFAULT_CONFIG, ...small, epochs: 50, optimizer: 'sgd' as const, baseLr: 1e30, warmupEpochs: 0 };
    const run = await train(data, c, control, emit);
    expect(run.state).toBe('failed');
    const last = events[events.length - 1];
    expect(last.type === 'state' && last.message).toMatch(/the loss became (NaN|Infinity|-Infinity) at step \d+/);
    expect(run.step).toBeLessThan(12 * 50);
    for (const r of records()) expect(Number.isFinite(r.loss)).toBe(true);
    expect(events.filter((e) => e.type === 'warning' && e.kind === 'non-finite')).toHaveLength(1);
    release(run, data);
  });

  it('stops when the weights turn non-finite while the loss stays finite, keeping the last good checkpoint', async () => {
    // A NaN in a BatchNorm running statistic never reaches the training-mode loss (as a NaN
    // activation clamped by ReLU6 would not): only the checkpoint's finiteness check sees it.
    const data = syntheticDataset();
    const control = new RunControl();
    const { events, records, emit } = collect();
    const saved: number[] = [];
    const c = { ...DEFAULT_CONFIG, ...small, epochs: 10, checkpointEvery: 4 };
    const run = await train(data, c, control, emit, {
      runId: 'nan',
      runName: 'nan',
      checkpoint: async (ck) => {
        saved.push(ck.meta.step);
        if (saved.length === 1) {
          const bn = control.live!().model.store.params.find((p) => p.name.endsWith('running_var'))!;
          bn.variable.assign(tf.fill(bn.variable.shape, NaN));
        }
      },
    });
    expect(saved).toEqual([4]);
    expect(run.state).toBe('failed');
    const last = events[events.length - 1];
    expect(last.type === 'state' && last.message).toMatch(/the weights became non-finite by step 8 .* the last good checkpoint is kept/);
    expect(events.some((e) => e.type === 'checkpoint-error' && /step 8 are not finite/.test(e.message))).toBe(true);
    expect(run.step).toBeLessThan(12);
    for (const r of records()) expect(Number.isFinite(r.loss)).toBe(true);
    release(run, data);
  });

  it('evaluates online k-NN every knnEvery steps and at the end, against both reference lines, into the checkpoints', async () => {
    const data = syntheticDataset();
    const before = tf.memory().numTensors;
    const { events, emit } = collect();
    const saved: Checkpoint[] = [];
    const run = await train(data, { ...DEFAULT_CONFIG, ...small, epochs: 3, knnEvery: 5, checkpointEvery: 100 }, new RunControl(), emit, {
      runId: 'knn',
      runName: 'knn',
      checkpoint: async (ck) => void saved.push(ck),
    });
    const points = events.flatMap((e) => (e.type === 'knn' ? e.records : []));
    // Step 0 is the random init itself; then every 5 steps; then the last step (36).
    expect(points.map((p) => p.step)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 36]);
    const lines = events.find((e) => e.type === 'knn-baselines');
    expect(lines?.type === 'knn-baselines' && lines.baselines).toMatchObject({
      trainCount: 96,
      testCount: 24,
      every: 5,
      features: 'backbone, 4×4 grid',
    });
    if (lines?.type !== 'knn-baselines') throw new Error('no baselines');
    expect(points[0].top1).toBe(lines.baselines.random);
    for (const p of points) expect(p.top1).toBeGreaterThanOrEqual(0), expect(p.top1).toBeLessThanOrEqual(1);
    // Each checkpoint carries the points up to its step (epoch ends: 12, 24, 36).
    expect(saved.map((s) => s.meta.step)).toEqual([12, 24, 36]);
    expect(saved[2].meta.knn!.map((p) => p.step)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 36]);
    expect(saved[0].meta.knn!.every((p) => p.step <= 12)).toBe(true);
    expect(saved[2].meta.knnBaselines).toEqual(lines.baselines);
    release(run, data);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ends the online k-NN curve at the last step of a run too short to time its spacing (auto)', async () => {
    // 12 steps on this CPU take well under the 3 s of timing that the auto spacing needs.
    const data = syntheticDataset();
    const { events, emit } = collect();
    const run = await train(data, { ...DEFAULT_CONFIG, ...small, epochs: 1, knnEvery: 0 }, new RunControl(), emit, {
      runId: 'short',
      runName: 'short',
    });
    const points = events.flatMap((e) => (e.type === 'knn' ? e.records : []));
    expect(points.map((p) => p.step)).toEqual([0, 12]);
    release(run, data);
  });

  it('fixes the epochs of a time budget from the measured steps, and completes the schedule in time', async () => {
    const data = syntheticDataset();
    const { events, records, emit } = collect();
    const c = { ...DEFAULT_CONFIG, ...small, epochs: 1, budgetMinutes: 0.1, warmupEpochs: 1, knnEvery: 6 };
    const t0 = performance.now();
    const saved: Checkpoint[] = [];
    const run = await train(data, c, new RunControl(), emit, { runId: 'b', runName: 'b', checkpoint: async (ck) => void saved.push(ck) });
    const seconds = (performance.now() - t0) / 1000;
    const plans = events.filter((e) => e.type === 'budget');
    // Fixed as the warmup ends, then checked once over a whole epoch.
    expect(plans.length).toBeGreaterThanOrEqual(1);
    expect(plans.length).toBeLessThanOrEqual(2);
    const plan = plans[plans.length - 1];
    if (plan?.type !== 'budget') throw new Error('no budget event');
    expect(plan.plan.epochs).toBeGreaterThan(1); // the budget, not `epochs`, set the length
    expect(plan.plan.totalSteps).toBe(plan.plan.epochs * 12);
    expect(run.state).toBe('done');
    expect(run.step).toBe(plan.plan.totalSteps); // the schedule ran to its end ...
    expect(run.config.epochs).toBe(plan.plan.epochs);
    const last = records()[records().length - 1];
    const schedule = { baseLr: c.baseLr, batchSize: c.batchSize, warmupSteps: 12, totalSteps: plan.plan.totalSteps };
    expect(last.lr).toBeCloseTo(learningRate(plan.plan.totalSteps - 1, schedule), 12); // ... down to its floor
    expect(last.lr).toBeLessThan(0.01 * learningRate(12, schedule));
    // Within the budget of 6 s (a loose bound: the machine may be busy).
    expect(seconds).toBeLessThan(6 * 1.5);
    const states = events.filter((e) => e.type === 'state' && e.state === 'running');
    expect(states[states.length - 1]).toMatchObject({ totalSteps: plan.plan.totalSteps });
    expect(saved[saved.length - 1].meta).toMatchObject({ budget: plan.plan, totalSteps: plan.plan.totalSteps, finished: true });
    expect(saved[saved.length - 1].meta.config.epochs).toBe(plan.plan.epochs);
    release(run, data);
  });

  it('refuses a batch larger than the training split, with the numbers', async () => {
    const data = syntheticDataset();
    await expect(train(data, { ...DEFAULT_CONFIG, ...small, batchSize: 200 }, new RunControl(), () => {})).rejects.toThrow(
      /96 images, fewer than one batch of 200: lower batchSize to at most 96/,
    );
  });
});
