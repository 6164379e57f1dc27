// A time budget turned into epochs. The cosine schedule needs its length before it starts, so the
// trainer times the warmup steps (their learning rate does not depend on the run's length) and
// fixes the number of epochs as the warmup ends, so that the whole schedule ends within the
// budget: Stop never has to cut it short. The trainer checks the plan once more over a window
// after it that holds an epoch end and online k-NN points (REPLAN_MIN_SHARE below). A longer
// timing window gives a steadier estimate: timed over ~3 s, the 4-minute runs of the recipe
// study ended between 83% and 113% of their budget.

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

/**
 * The re-check of the plan times at least this share of the budget. On a small dataset (an
 * emoji set of 1,491 training images: 11 steps an epoch) one epoch is a few seconds and held no
 * online k-NN point, and a 10-minute run planned from it ended at 109% of its budget.
 */
export const REPLAN_MIN_SHARE = 0.05;
/** ... and ends within this share of the planned steps (a 90-s run re-planned at 44% of its steps
 *  bent its learning rate visibly). */
export const REPLAN_MAX_SHARE = 0.15;

/** The longest the timing may take, as a share of the budget, when the warmup is long. */
export const BUDGET_MAX_SHARE = 0.05;

/**
 * Whether enough steps have been timed to fix the budget: at least a few steps and a few seconds,
 * then until the warmup ends (or the timing has taken BUDGET_MAX_SHARE of the budget).
 */
export function budgetReady(timedSteps: number, timedMs: number, o: { warmupDone: boolean; budgetMs: number }): boolean {
  if (timedSteps < BUDGET_MIN_STEPS || timedMs < BUDGET_MIN_MS) return false;
  return o.warmupDone || timedMs >= BUDGET_MAX_SHARE * o.budgetMs;
}
