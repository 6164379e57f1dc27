// The training loop, top to bottom: data, model, optimizer, loop. Cooperative control: the loop
// checks pause and stop flags every step, so TF.js state survives a pause or a stop.
import * as tf from '@tensorflow/tfjs';
import type { BudgetPlan, DiagnosticsRecord, KnnBaselines, KnnRecord, MetricRecord, RunState, TrainEvent } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import { augmentView, viewOptions } from '../dataset/augment';
import { uploadBatch, type Dataset } from '../dataset/dataset';
import { appendHistory } from '../contract/history';
import {
  captureTensors,
  FORMAT_VERSION,
  restoreTensors,
  type Checkpoint,
  type CheckpointMeta,
  type CheckpointReason,
} from '../checkpoint/record';
import { APP_VERSION } from '../contract/version';
import { mulberry32, permutation } from '../dataset/random';
import { modelCard, usesRecompute, WASM_HEAP_LIMIT } from '../model/card';
import { buildModel } from '../model/model';
import type { RunControl, TrainedRun } from './run';
import { makeOptimizer } from '../optim/optimizers';
import { learningRate } from '../optim/schedule';
import { readDiagnostics } from '../vicreg/diagnostics';
import { BUDGET_SKIP_STEPS, budgetReady, epochsForBudget, REPLAN_MAX_SHARE, REPLAN_MIN_SHARE } from './budget';
import { autoEvery, OnlineKnn } from './online-knn';
import { PACKED, trainStep, type StepContext, type StepOutput } from './step';
import { CollapseWatch } from './warnings';
import { errorMessage } from '../contract/errors';

/** Resolves when the device has computed `tensors` (a one-number reduction is read back). */
async function settle(tensors: tf.Tensor[]): Promise<void> {
  const probe = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(t))));
  await probe.data();
  probe.dispose();
}

// A worker's message loop only runs between macrotasks; yielding each step lets Pause and Stop in.
const nextTask = () => new Promise<void>((r) => setTimeout(r, 0));

export interface TrainOptions {
  runId: string;
  runName: string;
  /** Continue this checkpoint's run from its step (its config must be `c`). */
  resume?: Checkpoint;
  /** Receives each complete checkpoint (and how long copying it off the device took) and stores
   *  it; resolves when stored, never throws. */
  checkpoint?: (c: Checkpoint, readMs: number) => Promise<void>;
}

export async function train(
  data: Dataset,
  config: TrainConfig,
  control: RunControl,
  emit: (e: TrainEvent) => void,
  o: TrainOptions = { runId: 'run', runName: 'run' },
): Promise<TrainedRun> {
  let c = config; // its epochs are replaced once a time budget is fixed (below)
  const started = performance.now();
  // Data
  const stepsPerEpoch = Math.floor(data.train.length / c.batchSize);
  if (stepsPerEpoch < 1) {
    throw new Error(
      `the training split has ${data.train.length} images, fewer than one batch of ${c.batchSize}: lower batchSize to at most ${data.train.length}`,
    );
  }
  let totalSteps = stepsPerEpoch * c.epochs;
  if (o.resume && o.resume.meta.totalSteps !== totalSteps) {
    const m = o.resume.meta;
    throw new Error(
      `run "${m.runName}" has ${m.totalSteps / m.config.epochs} steps per epoch; this dataset's split at batch size ${c.batchSize} gives ${stepsPerEpoch}: it cannot continue the same schedule. Open the dataset it trained on, unchanged.`,
    );
  }
  const rand = mulberry32(c.seed);
  const inBatch = Int32Array.from({ length: c.batchSize }, (_, k) => k); // crop box b samples image b
  const view1 = viewOptions(c, 1, data.summary);
  const view2 = viewOptions(c, 2, data.summary);

  // Model and optimizer
  const model = buildModel(c);
  // Recomputation where the plain step would not fit the backend (the WASM heap; a GPU's total is unknown).
  const recompute = usesRecompute(modelCard(c), c.recompute, tf.getBackend() === 'wasm' ? WASM_HEAP_LIMIT : null);
  const ctx: StepContext = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null }, recompute };
  const resume = o.resume?.meta;
  if (o.resume) {
    try {
      ctx.avt = restoreTensors(o.resume, model, ctx.optimizer);
    } catch (e) {
      ctx.optimizer.dispose();
      model.dispose();
      throw e;
    }
  }
  const schedule = { baseLr: c.baseLr, batchSize: c.batchSize, warmupSteps: c.warmupEpochs * stepsPerEpoch, totalSteps };

  // Timing of the steps after the first few: it fixes a time budget's epochs (./budget.ts; a
  // resumed run keeps the epochs its budget was given) and the auto spacing of the online k-NN.
  let budget: BudgetPlan | null = resume?.budget ?? null;
  let budgetOpen = c.budgetMinutes > 0 && !budget; // until fixed, the loop runs on
  let timedFrom: { step: number; at: number } | null = null;

  // Online k-NN (./online-knn.ts): reference lines first, then a point every knnEvery steps.
  const online = c.knnEvery >= 0 && OnlineKnn.possible(data) ? new OnlineKnn(data, c) : null;
  let knnHistory: KnnRecord[] = resume?.knn ?? [];
  let knnBaselines: KnnBaselines | null = null;
  let knnEvery = c.knnEvery; // 0 (auto) until the steps are timed
  let knnCostMs = 0;
  let knnDone: Promise<void> | null = null; // the evaluation in flight, if any
  let knnAt = resume?.step ?? 0; // the step of the last point taken
  if (online) {
    knnBaselines = await online.baselines(knnEvery);
    knnCostMs = online.lastMs; // the random-init encoder's evaluation: what each point will cost
    if (!resume) knnHistory = [{ step: 0, epoch: 0, top1: knnBaselines.random }]; // step 0 is the random init
  }

  // Metrics (and, every diagEvery steps, collapse diagnostics) leave the device in windows of
  // metricsEvery steps, read asynchronously; at most one read is in flight, which bounds how far
  // the device queue can run ahead of the loop.
  type Pending = { step: number; epoch: number; lr: number; dataMs?: number; computeMs?: number } & StepOutput;
  let pending: Pending[] = [];
  const watch = new CollapseWatch();
  const dims = { b: c.batchSize, projector: model.projector.outDim, backbone: model.backbone.featureDim };
  const diagnoseAt = (s: number) => s === 1 || s % c.diagEvery === 0;
  let inFlight: Promise<void> = Promise.resolve();
  let windowStart = performance.now();
  let failure: string | null = null;
  let history: MetricRecord[] = resume?.metrics ?? [];
  let diagHistory: DiagnosticsRecord[] = resume?.diagnostics ?? [];
  const flush = async () => {
    if (pending.length === 0) return;
    const window = pending;
    pending = [];
    const block = tf.stack(window.map((w) => w.row));
    tf.dispose(window.map((w) => w.row));
    const diagSteps = window.filter((w) => w.diagnostics);
    const diagBlock = diagSteps.length ? tf.concat(diagSteps.flatMap((w) => [w.diagnostics!.projector, w.diagnostics!.backbone])) : null;
    tf.dispose(diagSteps.flatMap((w) => [w.diagnostics!.projector, w.diagnostics!.backbone]));
    await inFlight;
    inFlight = Promise.all([block.data(), diagBlock?.data()]).then(([values, diagValues]) => {
      block.dispose();
      diagBlock?.dispose();
      const now = performance.now();
      const msPerStep = (now - windowStart) / window.length;
      windowStart = now;
      const records: MetricRecord[] = window.map((w, i) => {
        const r = Object.fromEntries(PACKED.map((k, j) => [k, values[i * PACKED.length + j]])) as Record<(typeof PACKED)[number], number>;
        const timing = w.dataMs === undefined ? {} : { dataMs: w.dataMs, computeMs: w.computeMs };
        return { step: w.step, epoch: w.epoch, lr: w.lr, ...r, msPerStep, imagesPerSec: (1000 * c.batchSize) / msPerStep, ...timing };
      });
      const bad = records.find((r) => !Number.isFinite(r.loss));
      if (bad && !failure) {
        failure = `the loss became ${bad.loss} at step ${bad.step}; training stopped. Lower baseLr or check the data.`;
        control.stop();
      }
      const good = records.filter((r) => Number.isFinite(r.loss));
      history = appendHistory(history, good);
      emit({ type: 'metrics', records: good });
      const diagnostics = diagValues
        ? unpackDiagnostics(
            diagValues,
            diagSteps.map((w) => w.step),
            dims,
          )
        : [];
      if (diagnostics.length) {
        diagHistory = appendHistory(diagHistory, diagnostics);
        emit({ type: 'diagnostics', records: diagnostics });
      }
      const warnings = [...records.flatMap((r) => watch.onMetrics(r)), ...diagnostics.flatMap((d) => watch.onDiagnostics(d))];
      for (const w of warnings) emit({ type: 'warning', ...w });
    });
  };

  // Checkpoints: the tensors are captured between steps and copied off the device while training
  // goes on; at most one write is in flight. A NaN-free check guards the last good checkpoint.
  let step = resume?.step ?? 0;
  let epochStart = 0; // generator state at the start of the current epoch
  let saving: Promise<void> = Promise.resolve();
  let savedStep = resume ? step : -1;
  const save = async (reason: CheckpointReason, epoch: number, next: number) => {
    if (!o.checkpoint || failure || step === savedStep) return;
    await flush();
    await inFlight;
    await knnDone;
    if (failure) return;
    await saving;
    savedStep = step;
    const rollover = next >= stepsPerEpoch; // the next step opens a new epoch
    const { layout, read } = captureTensors(model, ctx.optimizer, ctx.avt);
    const meta: CheckpointMeta = {
      format: FORMAT_VERSION,
      appVersion: APP_VERSION,
      runId: o.runId,
      runName: o.runName,
      createdAt: Date.now(),
      reason,
      step,
      epoch: rollover ? epoch + 1 : epoch,
      stepInEpoch: rollover ? 0 : next,
      totalSteps,
      finished: step >= totalSteps,
      rng: { state: rand.getState(), epochStart: rollover ? rand.getState() : epochStart },
      config: c,
      dataset: { id: data.summary.id, name: data.summary.name },
      normalization: { mean: data.mean, std: data.std },
      ...layout,
      metrics: history,
      diagnostics: diagHistory,
      knn: knnHistory,
      knnBaselines,
      budget,
    };
    const sink = o.checkpoint;
    const t0 = performance.now();
    saving = read().then((values) => {
      const readMs = performance.now() - t0;
      if (values.some((v) => !Number.isFinite(v))) {
        // The loss can stay finite while weights are not (ReLU6 clamps NaN activations): stop here,
        // since every later step would train on garbage.
        emit({
          type: 'checkpoint-error',
          message: `the weights at step ${meta.step} are not finite; the checkpoint was not written and the last good one is kept`,
        });
        if (!failure) {
          failure = `the weights became non-finite by step ${meta.step} (a gradient overflowed) while the loss stayed finite; training stopped and the last good checkpoint is kept. Lower baseLr, raise the batch size, or resume from that checkpoint.`;
          control.stop();
        }
        return;
      }
      return sink({ meta, data: values }, readMs);
    });
  };

  // Fixes the budget's epochs from a measured step time. Once as the warmup ends, and once more
  // over a window with its checkpoints and k-NN points (replanSteps, at least REPLAN_MIN_SHARE of
  // the budget): the cosine has barely left its peak then, so moving its end by 10% moves the
  // learning rate by about 1% of its peak.
  const planBudget = (msPerStep: number, now: number, measuredWithKnn: boolean) => {
    const overhead = online && knnEvery > 0 && !measuredWithKnn ? Math.min(0.5, knnCostMs / (knnEvery * msPerStep)) : 0;
    const fit = epochsForBudget({
      budgetMs: c.budgetMinutes * 60_000,
      elapsedMs: now - started,
      stepsDone: step,
      msPerStep,
      stepsPerEpoch,
      warmupEpochs: c.warmupEpochs,
      overhead,
    });
    budget = { budgetMinutes: c.budgetMinutes, msPerStep, epochs: fit.epochs, totalSteps: fit.totalSteps, fits: fit.fits };
    c = { ...c, epochs: fit.epochs };
    totalSteps = schedule.totalSteps = fit.totalSteps;
    emit({ type: 'budget', plan: budget });
    emit({ type: 'state', state: 'running', step, totalSteps, runId: o.runId });
    return fit;
  };
  let replanFrom: { step: number; at: number } | null = null;
  // The re-check times a window with every kind of work in it: an epoch end (its checkpoint) and
  // two online k-NN points, which on a small dataset come less often than once an epoch; but at
  // most REPLAN_MAX_SHARE of the run, so the schedule it moves has barely left its peak.
  const replanSteps = () => Math.max(stepsPerEpoch, Math.min(2 * Math.max(knnEvery, 0), Math.floor(REPLAN_MAX_SHARE * totalSteps)));

  // After each step: time the steps, then fix the budget's epochs and the online k-NN's spacing;
  // launch an online k-NN point when one is due (its readback resolves later, off the loop).
  const pace = (epoch: number) => {
    const now = performance.now();
    if (step === (resume?.step ?? 0) + BUDGET_SKIP_STEPS) timedFrom = { step, at: now };
    const timed =
      timedFrom &&
      (budgetOpen || knnEvery === 0) &&
      budgetReady(step - timedFrom.step, now - timedFrom.at, {
        warmupDone: step >= schedule.warmupSteps,
        budgetMs: c.budgetMinutes * 60_000,
      });
    if (timedFrom && timed) {
      const msPerStep = (now - timedFrom.at) / (step - timedFrom.step);
      if (online && knnEvery === 0) {
        knnEvery = autoEvery(knnCostMs, msPerStep, stepsPerEpoch);
        knnBaselines = { ...knnBaselines!, every: knnEvery };
        emit({ type: 'knn-baselines', baselines: knnBaselines });
      }
      if (budgetOpen) {
        budgetOpen = false;
        const fit = planBudget(msPerStep, now, false);
        if (fit.totalSteps - step > 2 * replanSteps()) replanFrom = { step, at: now };
        if (!fit.fits) {
          emit({
            type: 'warning',
            step,
            kind: 'budget',
            message: `${c.budgetMinutes} min is less than the warmup plus one epoch at ${msPerStep.toFixed(0)} ms per step: the run takes ${fit.epochs} epochs (about ${((fit.totalSteps * msPerStep) / 60_000).toFixed(1)} min). Raise budgetMinutes, lower warmupEpochs, or use a smaller model.`,
          });
        }
      }
    }
    if (replanFrom && step - replanFrom.step >= replanSteps() && now - replanFrom.at >= REPLAN_MIN_SHARE * c.budgetMinutes * 60_000) {
      planBudget((now - replanFrom.at) / (step - replanFrom.step), now, true);
      replanFrom = null;
    }
    // The curve ends at the final weights, even in a run too short to have timed its spacing.
    const last = step === totalSteps && !budgetOpen;
    const due = knnEvery > 0 && step % knnEvery === 0 && !knnDone;
    if (online && (due || last)) launchKnn(epoch);
  };
  const launchKnn = (epoch: number) => {
    if (knnAt === step) return;
    // The device work is queued now, on this step's weights; the points are emitted in order.
    const at = (knnAt = step);
    const point = online!.record(model, step, epoch);
    const done: Promise<void> = Promise.all([knnDone, point])
      .then(([, r]) => {
        knnHistory = appendHistory(knnHistory, [r]);
        emit({ type: 'knn', records: [r] });
        for (const w of watch.onKnn(r, knnBaselines!, schedule)) emit({ type: 'warning', ...w });
      })
      .catch((e: unknown) => {
        // A failed evaluation costs a point of the curve, never the run.
        emit({
          type: 'warning',
          step: at,
          kind: 'online-knn',
          message: `the online k-NN at step ${at} failed (${errorMessage(e)}); training goes on`,
        });
      })
      .finally(() => {
        if (knnDone === done) knnDone = null;
      });
    knnDone = done;
  };

  // Loop
  control.live = () => ({ model, step, config: c });
  emit({ type: 'state', state: 'running', step, totalSteps, runId: o.runId });
  if (resume)
    emit({ type: 'history', records: history, knn: knnHistory, knnBaselines: knnBaselines ?? undefined, diagnostics: diagHistory });
  else if (knnBaselines) emit({ type: 'knn', records: knnHistory });
  if (knnBaselines) emit({ type: 'knn-baselines', baselines: knnBaselines });
  try {
    for (let epoch = resume?.epoch ?? 0; epoch < (budgetOpen ? Infinity : c.epochs) && !control.stopped; epoch++) {
      // A resumed epoch replays its shuffle from the generator state it began with, then picks up
      // the generator where the checkpoint left it: the same batches and views as without a break.
      const resumed = resume && epoch === resume.epoch;
      if (resumed) rand.setState(resume.rng.epochStart);
      epochStart = rand.getState();
      const order = permutation(data.train.length, rand);
      if (resumed && resume.stepInEpoch > 0) rand.setState(resume.rng.state);
      let next = resumed ? resume.stepInEpoch : 0; // index of the next step within this epoch
      for (let i = next; i < stepsPerEpoch && !control.stopped; i++) {
        if (control.saveRequested) {
          control.saveRequested = false;
          await save('manual', epoch, i);
        }
        if (control.paused) {
          await flush();
          await inFlight;
          emit({ type: 'state', state: 'paused', step, totalSteps, runId: o.runId });
          while (control.paused && !control.stopped) {
            await control.waitWhilePaused();
            if (control.saveRequested) {
              control.saveRequested = false;
              await save('manual', epoch, i);
            }
          }
          windowStart = performance.now();
          if (timedFrom) timedFrom = { step, at: windowStart }; // paused time is not step time
          if (replanFrom) replanFrom = { step, at: windowStart };
          if (control.stopped) break;
          emit({ type: 'state', state: 'running', step, totalSteps, runId: o.runId });
        }
        const batch = order.subarray(i * c.batchSize, (i + 1) * c.batchSize).map((k) => data.train[k]);
        const lr = learningRate(step, schedule);
        const diagnose = diagnoseAt(step + 1);
        const views = (): [tf.Tensor4D, tf.Tensor4D] => {
          const x = uploadBatch(data, batch);
          return [augmentView(x, inBatch, view1, data, rand), augmentView(x, inBatch, view2, data, rand)];
        };
        // tidy keeps every tensor the step returns (nested in the object) and frees the views.
        const run = (x1: tf.Tensor4D, x2: tf.Tensor4D) =>
          tf.tidy(() => trainStep(ctx, x1, x2, step, lr, diagnose) as unknown as tf.TensorContainer) as unknown as StepOutput;
        let out: StepOutput;
        let timing: Pick<MetricRecord, 'dataMs' | 'computeMs'> = {};
        if (diagnose && step > 0) {
          // A timed step, every diagEvery: let the queue drain, then wait for the views and for the
          // step in turn. The only places the loop waits for the device on purpose.
          await flush();
          await inFlight;
          const t0 = performance.now();
          const [x1, x2] = tf.tidy(views) as [tf.Tensor4D, tf.Tensor4D];
          await settle([x1, x2]);
          const t1 = performance.now();
          out = run(x1, x2);
          tf.dispose([x1, x2]);
          await settle([out.row]);
          timing = { dataMs: t1 - t0, computeMs: performance.now() - t1 };
        } else {
          out = tf.tidy(() => {
            const [x1, x2] = views();
            return run(x1, x2) as unknown as tf.TensorContainer;
          }) as unknown as StepOutput;
        }
        step++;
        next = i + 1;
        pending.push({ step, epoch, lr, ...out, ...timing });
        if (pending.length >= c.metricsEvery) await flush();
        pace(epoch);
        if (i === stepsPerEpoch - 1) await save(step >= totalSteps && !budgetOpen ? 'end' : 'epoch', epoch, i + 1);
        else if (step % c.checkpointEvery === 0) await save('interval', epoch, i + 1);
        await nextTask();
      }
      if (control.stopped) {
        if (online && !failure) launchKnn(epoch);
        await save('stop', epoch, next);
      }
    }
    await knnDone;
    await flush();
    await inFlight;
    await saving;
  } catch (e) {
    ctx.avt.ema?.dispose();
    ctx.optimizer.dispose();
    model.dispose();
    throw e;
  } finally {
    tf.dispose(pending.flatMap((p) => [p.row, ...(p.diagnostics ? [p.diagnostics.projector, p.diagnostics.backbone] : [])]));
  }
  const state: RunState = failure ? 'failed' : control.stopped ? 'stopped' : 'done';
  emit({ type: 'state', state, step, totalSteps, message: failure ?? undefined, runId: o.runId });
  return { state, step, model, optimizer: ctx.optimizer, avt: ctx.avt, config: c };
}

/** Splits the concatenated diagnostics read (per step: projector then backbone) into records. */
function unpackDiagnostics(
  values: ArrayLike<number>,
  steps: number[],
  dims: { b: number; projector: number; backbone: number },
): DiagnosticsRecord[] {
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
