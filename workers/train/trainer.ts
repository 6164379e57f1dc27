// The training loop, top to bottom: data, model and optimizer, the loop. Its parts live beside it:
// the metrics read-back (./metrics.ts), checkpoints (./checkpointing.ts), the pause point
// (./pause.ts), the step as run and timed (./timed-step.ts), and what step times decide: a time
// budget's epochs and the online k-NN's spacing (./pacing.ts); they share the one Run (./run.ts).
// Control is cooperative: the loop checks pause and stop flags every step, so TF.js state survives
// a pause or a stop.
import * as tf from '@tensorflow/tfjs';
import type { TrainEvent } from '../contract/api';
import type { TrainConfig } from '../contract/config';
import { restoreTensors, type Checkpoint, type CheckpointMeta } from '../checkpoint/record';
import type { Dataset } from '../dataset/dataset';
import { mulberry32 } from '../dataset/random';
import { type AugmentPort, viewSource } from '../dataset/views';
import { modelCard, usesRecompute, WASM_HEAP_LIMIT } from '../model/card';
import { buildModel } from '../model/model';
import { makeOptimizer } from '../optim/optimizers';
import { learningRate } from '../optim/schedule';
import { Checkpointer, type CheckpointSink } from './checkpointing';
import { MetricsWindow } from './metrics';
import { OnlineKnn } from './online-knn';
import { Pacer } from './pacing';
import { sideAt } from './resolution';
import { PhaseClock } from './phases';
import { pausePoint } from './pause';
import { releaseRun, type Run, type RunControl, type RunLoop, type TrainedRun, trainedMs } from './run';
import type { StepContext } from './step';
import { Draws } from './draws';
import { runStep, StepViews } from './timed-step';
import { CollapseWatch } from './warnings';
import { nextTask } from './next-task';

type Emit = (e: TrainEvent) => void;

export interface TrainOptions {
  runId: string;
  runName: string;
  /** Continue this checkpoint's run from its step (its config must be `config`). */
  resume?: Checkpoint;
  checkpoint?: CheckpointSink;
}

export async function train(
  data: Dataset,
  config: TrainConfig,
  control: RunControl,
  emit: Emit,
  o: TrainOptions = { runId: 'run', runName: 'run' },
): Promise<TrainedRun> {
  const resume = o.resume?.meta;
  const loop = startLoop(data, config, o, resume);
  // The views' side at a step: progressive resolution's once the run's length is fixed (./resolution.ts).
  const side = (step: number) => sideAt(config, step, pacer.budgetOpen ? null : loop.schedule.totalSteps);
  const draws = new Draws(data, config, mulberry32(config.seed), loop.stepsPerEpoch, resume, side);
  const ctx = stepContext(config, o.resume);
  const run: Run = { loop, control, data, ctx, emit, watch: new CollapseWatch(), resume };
  const online = config.knnEvery >= 0 && OnlineKnn.possible(data) ? new OnlineKnn(data, config) : null;
  const pacer = new Pacer(run, online);
  await pacer.start();
  const metrics = new MetricsWindow(run); // its clock starts now
  const checkpoints = new Checkpointer(run, { draws, metrics, pacer }, o.checkpoint);
  const position = () => ({ step: loop.step, totalSteps: loop.schedule.totalSteps, runId: loop.runId });
  const state = (s: 'running' | 'paused') => emit({ type: 'state', state: s, ...position() });
  const drain = () => metrics.drain();
  const resumed = (now: number, pausedMs: number) => {
    metrics.restartClock(now);
    pacer.resumed(now);
    loop.phases.skip(pausedMs);
  };
  control.live = () => ({ model: ctx.model, step: loop.step, config: loop.config, trainedMs: trainedMs(loop) });
  announce(run, state, metrics, pacer);
  const views = new StepViews(draws, viewSource(data, augmentWorker), config);
  const clock = loop.phases;
  clock.begin();
  try {
    for (let epoch = resume?.epoch ?? 0; epoch < (pacer.budgetOpen ? Infinity : loop.config.epochs) && !control.stopped; epoch++) {
      let next = epoch === resume?.epoch ? resume.stepInEpoch : 0; // index of the next step within this epoch
      for (let i = next; i < loop.stepsPerEpoch && !control.stopped; i++) {
        if (!(await pausePoint(control, { save: () => checkpoints.save('manual', epoch, i), drain, state, resumed }))) break;
        const lr = learningRate(loop.step, loop.schedule);
        const diagnose = loop.step === 0 || (loop.step + 1) % config.diagEvery === 0;
        const pair = () => views.next(epoch, i, clock);
        const { out, timing } = await runStep(run, { views: pair, lr, diagnose, drain });
        next = i + 1;
        clock.stepDone(config.batchSize);
        await metrics.push({ step: ++loop.step, epoch, lr, ...out, ...timing });
        clock.time('other', () => pacer.after(epoch));
        const reason =
          next === loop.stepsPerEpoch ? (loop.step >= loop.schedule.totalSteps && !pacer.budgetOpen ? 'end' : 'epoch') : 'interval';
        if (reason !== 'interval' || loop.step % config.checkpointEvery === 0) await checkpoints.save(reason, epoch, next);
        await clock.wait('next task', nextTask());
      }
      if (control.stopped) {
        if (!loop.failure) pacer.launchKnn(epoch);
        await checkpoints.save('stop', epoch, next);
      }
    }
    await pacer.knnDone;
    await drain();
    await checkpoints.saving;
    clock.end();
  } catch (e) {
    releaseRun(ctx);
    throw e;
  } finally {
    metrics.dispose();
    views.dispose();
  }
  const end = loop.failure ? 'failed' : control.stopped ? 'stopped' : 'done';
  emit({ type: 'phases', report: clock.report() });
  emit({ type: 'state', state: end, ...position(), message: loop.failure ?? undefined });
  return {
    state: end,
    step: loop.step,
    model: ctx.model,
    optimizer: ctx.optimizer,
    avt: ctx.avt,
    config: loop.config,
    phases: clock.report(),
    trainedMs: trainedMs(loop),
  };
}

/** The augmentation worker (../dataset/augment-worker.ts), where this environment has workers. */
const augmentWorker =
  typeof Worker === 'undefined'
    ? null
    : () => new Worker(new URL('../dataset/augment-worker.ts', import.meta.url), { type: 'module' }) as unknown as AugmentPort;

/** The run's position at its start, after checking that the data gives whole batches and, on a
 *  resume, the same schedule. */
function startLoop(data: Dataset, config: TrainConfig, { runId, runName }: TrainOptions, resume?: CheckpointMeta): RunLoop {
  const stepsPerEpoch = Math.floor(data.train.length / config.batchSize);
  if (stepsPerEpoch < 1) {
    throw new Error(
      `the training split has ${data.train.length} images, fewer than one batch of ${config.batchSize}: lower batchSize to at most ${data.train.length}`,
    );
  }
  const totalSteps = stepsPerEpoch * config.epochs;
  if (resume && resume.totalSteps !== totalSteps) {
    throw new Error(
      `run "${resume.runName}" has ${resume.totalSteps / resume.config.epochs} steps per epoch; this dataset's split at batch size ${config.batchSize} gives ${stepsPerEpoch}: it cannot continue the same schedule. Open the dataset it trained on, unchanged.`,
    );
  }
  const schedule = { baseLr: config.baseLr, batchSize: config.batchSize, warmupSteps: config.warmupEpochs * stepsPerEpoch, totalSteps };
  return {
    runId,
    runName,
    config,
    step: resume?.step ?? 0,
    stepsPerEpoch,
    schedule,
    started: performance.now(),
    failure: null,
    phases: new PhaseClock(),
    trainedBeforeMs: resume?.trainedMs ?? 0,
  };
}

/** Model, optimizer and AVT state, restored from the checkpoint on a resume. Recomputation where
 *  the plain step would not fit the backend (the WASM heap; a GPU's total memory is unknown). */
export function stepContext(config: TrainConfig, resume?: Checkpoint): StepContext {
  const model = buildModel(config);
  const recompute = usesRecompute(modelCard(config), config.recompute, tf.getBackend() === 'wasm' ? WASM_HEAP_LIMIT : null);
  const ctx: StepContext = { model, optimizer: makeOptimizer(config), config, avt: { ema: null }, recompute };
  if (resume) {
    try {
      ctx.avt = restoreTensors(resume, model, ctx.optimizer);
    } catch (e) {
      releaseRun(ctx);
      throw e;
    }
  }
  return ctx;
}

/** The run's first events: running, then a resumed run's history or a fresh run's k-NN start. */
function announce({ emit, resume }: Run, state: (s: 'running') => void, metrics: MetricsWindow, pacer: Pacer): void {
  state('running');
  const baselines = pacer.knnBaselines;
  if (resume)
    emit({
      type: 'history',
      records: metrics.history,
      knn: pacer.knnHistory,
      knnBaselines: baselines ?? undefined,
      diagnostics: metrics.diagnostics,
    });
  else if (baselines) emit({ type: 'knn', records: pacer.knnHistory });
  if (baselines) emit({ type: 'knn-baselines', baselines });
}
