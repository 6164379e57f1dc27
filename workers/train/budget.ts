// A time budget turned into epochs. The cosine schedule needs its length up front, so the
// trainer times its first steps (warmup steps, whose learning rate does not depend on the run's
// length) and then fixes the number of epochs so that the warmup and the whole schedule end
// within the budget: Stop never has to cut the schedule short.

/** Steps timed before the budget is fixed: the first ones pay for kernel compilation. */
export const BUDGET_SKIP_STEPS = 2;
export const BUDGET_MIN_STEPS = 6;
export const BUDGET_MIN_MS = 3000;
/** Held back for what the timed steps did not see: checkpoint writes, metric readbacks, drift. */
export const BUDGET_MARGIN = 0.04;

export interface BudgetInput {
  budgetMs: number;
  elapsedMs: number; // since the run started (baselines and timed steps included)
  stepsDone: number;
  msPerStep: number; // measured
  stepsPerEpoch: number;
  warmupEpochs: number;
  overhead: number; // share of the time taken by work beside the steps (the online k-NN's ONLINE_SHARE)
}

/**
 * Whole epochs E such that the remaining steps E·stepsPerEpoch − stepsDone, each msPerStep plus
 * the overhead share and BUDGET_MARGIN, fit in budgetMs − elapsedMs. At least the warmup plus one
 * epoch (fits = false when even that exceeds the budget: the run then takes longer than asked).
 */
export function epochsForBudget(o: BudgetInput): { epochs: number; totalSteps: number; fits: boolean } {
  const perStep = o.msPerStep / Math.max(1 - o.overhead - BUDGET_MARGIN, 0.05);
  const stepsLeft = Math.max(0, Math.floor((o.budgetMs - o.elapsedMs) / perStep));
  const fitting = Math.floor((o.stepsDone + stepsLeft) / o.stepsPerEpoch);
  const least = Math.max(1, Math.ceil(o.warmupEpochs) + 1, Math.ceil((o.stepsDone + 1) / o.stepsPerEpoch));
  const epochs = Math.max(fitting, least);
  return { epochs, totalSteps: epochs * o.stepsPerEpoch, fits: fitting >= least };
}

/** Whether enough steps have been timed to fix the budget: past the first few, and long enough. */
export function budgetReady(timedSteps: number, timedMs: number): boolean {
  return timedSteps >= BUDGET_MIN_STEPS && timedMs >= BUDGET_MIN_MS;
}
