// What the loop decides from measured step times, after each step: a time budget's epochs
// (./budget.ts) and the spacing of the online k-NN points (./online-knn.ts), and when a k-NN point
// is due. A resumed run keeps the epochs its budget was given.
import type { BudgetPlan, KnnBaselines, KnnRecord } from '../contract/api';
import { errorMessage } from '../contract/errors';
import { appendHistory } from '../contract/history';
import { BUDGET_SKIP_STEPS, budgetReady, epochsForBudget, REPLAN_MAX_SHARE, REPLAN_MIN_SHARE } from './budget';
import { autoEvery, type OnlineKnn } from './online-knn';
import { FIXED_SHARE, fitFixedShare, meanCost, progressive, relativeCost, sideAt } from './resolution';
import type { Run } from './run';

type Mark = { step: number; at: number };

export class Pacer {
  budget: BudgetPlan | null;
  /** A time budget whose epochs are not fixed yet: until then the loop runs on. */
  budgetOpen: boolean;
  knnHistory: KnnRecord[];
  knnBaselines: KnnBaselines | null = null;
  /** The online k-NN evaluation in flight, if any. */
  knnDone: Promise<void> | null = null;
  private knnEvery: number; // 0 (auto) until the steps are timed
  private knnCostMs = 0;
  private knnAt: number; // the step of the last point taken
  private readonly firstStep: number;
  private timedFrom: Mark | null = null;
  private replanFrom: Mark | null = null;
  /** Progressive resolution: the fixed share of a step's cost (./resolution.ts), a first guess
   *  until the run has timed two sides; the steps' time by side; the last step's end. */
  private share = FIXED_SHARE;
  private shareFitted = false;
  private readonly bySide = new Map<number, { steps: number; ms: number }>();
  private lastAt: number | null = null;

  constructor(
    private readonly run: Run,
    private readonly online: OnlineKnn | null,
  ) {
    const { loop, resume } = run;
    this.budget = resume?.budget ?? null;
    this.budgetOpen = loop.config.budgetMinutes > 0 && !this.budget;
    this.knnHistory = resume?.knn ?? [];
    this.knnEvery = loop.config.knnEvery;
    this.firstStep = this.knnAt = resume?.step ?? 0;
  }

  /** The online k-NN's reference lines, before the first step; the random-init encoder's
   *  evaluation is also what each point will cost. A fresh run's curve starts at step 0 on it. */
  async start(): Promise<void> {
    if (!this.online) return;
    this.knnBaselines = await this.online.baselines(this.knnEvery);
    this.knnCostMs = this.online.lastMs;
    if (!this.run.resume) this.knnHistory = [{ step: 0, epoch: 0, top1: this.knnBaselines.random }];
  }

  /** After each step: time the steps, fix the budget's epochs and the k-NN spacing once they are
   *  timed, and launch a k-NN point when one is due (its readback resolves later, off the loop). */
  after(epoch: number): void {
    const { loop, emit } = this.run;
    const c = loop.config;
    const now = performance.now();
    if (loop.step === this.firstStep + BUDGET_SKIP_STEPS) this.timedFrom = { step: loop.step, at: now };
    const from = this.timedFrom;
    const budgetMs = c.budgetMinutes * 60_000;
    const warmupDone = loop.step >= loop.schedule.warmupSteps;
    if (from && (this.budgetOpen || this.knnEvery === 0) && budgetReady(loop.step - from.step, now - from.at, { warmupDone, budgetMs })) {
      const msPerStep = (now - from.at) / (loop.step - from.step);
      const msFull = (now - from.at) / this.stepCost(from.step, loop.step, this.budgetOpen);
      if (this.online && this.knnEvery === 0) {
        this.knnEvery = autoEvery(this.knnCostMs, msPerStep, loop.stepsPerEpoch);
        this.knnBaselines = { ...this.knnBaselines!, every: this.knnEvery };
        emit({ type: 'knn-baselines', baselines: this.knnBaselines });
      }
      if (this.budgetOpen) {
        this.budgetOpen = false;
        const fit = this.planBudget(msFull, now, false);
        if (fit.totalSteps - loop.step > 2 * this.replanSteps()) this.replanFrom = { step: loop.step, at: now };
        if (!fit.fits) {
          const minutes = ((fit.totalSteps * msPerStep) / 60_000).toFixed(1);
          emit({
            type: 'warning',
            step: loop.step,
            kind: 'budget',
            message: `${c.budgetMinutes} min is less than the warmup plus one epoch at ${msPerStep.toFixed(0)} ms per step: the run takes ${fit.epochs} epochs (about ${minutes} min). Raise budgetMinutes, lower warmupEpochs, or use a smaller model.`,
          });
        }
      }
    }
    const again = this.replanFrom;
    if (again && loop.step - again.step >= this.replanSteps() && now - again.at >= REPLAN_MIN_SHARE * budgetMs) {
      this.planBudget((now - again.at) / this.stepCost(again.step, loop.step, false), now, true);
      this.replanFrom = null;
    }
    if (budgetMs > 0 && progressive(c) && from) this.timeSides(now);
    // The curve ends at the final weights, even in a run too short to have timed its spacing.
    const last = loop.step === loop.schedule.totalSteps && !this.budgetOpen;
    const due = this.knnEvery > 0 && loop.step % this.knnEvery === 0 && !this.knnDone;
    if (this.online && (due || last)) this.launchKnn(epoch);
  }

  /**
   * Progressive resolution under a budget: each step's wall time (its k-NN points and checkpoints
   * included) by the side it ran at; once a second side has run as long as the re-check's window,
   * the fixed share is fitted from the two and the budget planned again with it, once.
   */
  private timeSides(now: number): void {
    const { loop } = this.run;
    const c = loop.config;
    const last = this.lastAt;
    this.lastAt = now;
    if (last === null || this.shareFitted) return;
    const side = sideAt(c, loop.step - 1, this.budgetOpen ? null : loop.schedule.totalSteps);
    const t = this.bySide.get(side) ?? { steps: 0, ms: 0 };
    this.bySide.set(side, { steps: t.steps + 1, ms: t.ms + (now - last) });
    const window = this.replanSteps();
    const timed = [...this.bySide].filter(([, v]) => v.steps >= window).map(([s, v]) => ({ side: s, ms: v.ms / v.steps }));
    const current = timed.find((t) => t.side === side);
    const other = timed.find((t) => t.side !== side);
    if (this.budgetOpen || !current || !other) return;
    this.shareFitted = true;
    const share = fitFixedShare(c, other, current);
    if (share === null) return;
    this.share = share;
    if (loop.schedule.totalSteps - loop.step > window) this.planBudget(current.ms / relativeCost(c, side, share), now, true);
  }

  /** Restarts the step clocks after a pause: paused time is not step time. */
  resumed(now: number): void {
    const { step } = this.run.loop;
    if (this.lastAt !== null) this.lastAt = now;
    if (this.timedFrom) this.timedFrom = { step, at: now };
    if (this.replanFrom) this.replanFrom = { step, at: now };
  }

  /** Queues a k-NN point on this step's weights; the points are emitted in order. */
  launchKnn(epoch: number): void {
    const { loop, ctx, emit, watch } = this.run;
    const step = loop.step;
    if (!this.online || this.knnAt === step) return;
    this.knnAt = step;
    const point = loop.phases.time('knn', () => this.online!.record(ctx.model, step, epoch));
    const done: Promise<void> = Promise.all([this.knnDone, point])
      .then(([, { record: r, vsPixels }]) => {
        this.knnHistory = appendHistory(this.knnHistory, [r]);
        emit({ type: 'knn', records: [r] });
        for (const w of watch.onKnn(r, this.knnBaselines!, loop.schedule, vsPixels)) emit({ type: 'warning', ...w });
      })
      .catch((e: unknown) => {
        // A failed evaluation costs a point of the curve, never the run.
        emit({
          type: 'warning',
          step,
          kind: 'online-knn',
          message: `the online k-NN at step ${step} failed (${errorMessage(e)}); training goes on`,
        });
      })
      .finally(() => {
        if (this.knnDone === done) this.knnDone = null;
      });
    this.knnDone = done;
  }

  /** Steps [from, to) in units of a full-size step (./resolution.ts: a smaller crop costs less),
   *  at the sides they ran at: the starting side while the length was `open`. */
  private stepCost(from: number, to: number, open: boolean): number {
    const { config: c, schedule } = this.run.loop;
    let cost = 0;
    for (let s = from; s < to; s++) cost += relativeCost(c, sideAt(c, s, open ? null : schedule.totalSteps), this.share);
    return Math.max(cost, 1e-9);
  }

  /**
   * Fixes the budget's epochs from a measured step time (of a full-size step: with progressive
   * resolution the remaining steps are priced at their sides, ./resolution.ts meanCost, which
   * depends on the length being solved for, hence a few rounds). Once as the warmup ends, and once more
   * over a window with its checkpoints and k-NN points (replanSteps, at least REPLAN_MIN_SHARE of
   * the budget): the cosine has barely left its peak then, so moving its end by 10% moves the
   * learning rate by about 1% of its peak.
   */
  private planBudget(msFull: number, now: number, measuredWithKnn: boolean) {
    const { loop, emit } = this.run;
    const c = loop.config;
    const plan = (msPerStep: number) => {
      const overhead =
        this.online && this.knnEvery > 0 && !measuredWithKnn ? Math.min(0.5, this.knnCostMs / (this.knnEvery * msPerStep)) : 0;
      return epochsForBudget({
        budgetMs: c.budgetMinutes * 60_000,
        elapsedMs: now - loop.started,
        stepsDone: loop.step,
        msPerStep,
        stepsPerEpoch: loop.stepsPerEpoch,
        warmupEpochs: c.warmupEpochs,
        overhead,
      });
    };
    let msPerStep = msFull;
    let fit = plan(msPerStep);
    for (let round = 0; round < 4 && progressive(c); round++) {
      msPerStep = msFull * meanCost(c, loop.step, fit.totalSteps, this.share);
      fit = plan(msPerStep);
    }
    this.budget = { budgetMinutes: c.budgetMinutes, msPerStep, epochs: fit.epochs, totalSteps: fit.totalSteps, fits: fit.fits };
    loop.config = { ...c, epochs: fit.epochs };
    loop.schedule.totalSteps = fit.totalSteps;
    emit({ type: 'budget', plan: this.budget });
    emit({ type: 'state', state: 'running', step: loop.step, totalSteps: fit.totalSteps, runId: loop.runId });
    return fit;
  }

  /** The re-check times a window with every kind of work in it: an epoch end (its checkpoint) and
   *  two online k-NN points, which on a small dataset come less often than once an epoch; but at
   *  most REPLAN_MAX_SHARE of the run, so the schedule it moves has barely left its peak. */
  private replanSteps(): number {
    const { stepsPerEpoch, schedule } = this.run.loop;
    return Math.max(stepsPerEpoch, Math.min(2 * Math.max(this.knnEvery, 0), Math.floor(REPLAN_MAX_SHARE * schedule.totalSteps)));
  }
}
