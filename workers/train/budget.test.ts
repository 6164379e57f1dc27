import { describe, expect, it } from 'vitest';
import { BUDGET_MARGIN, budgetReady, epochsForBudget } from './budget';

const base = { budgetMs: 10 * 60_000, elapsedMs: 5_000, stepsDone: 12, msPerStep: 400, stepsPerEpoch: 25, warmupEpochs: 1, overhead: 0.05 };

describe('epochsForBudget', () => {
  it('fits whole epochs of measured steps, their overhead and the margin into what is left of the budget', () => {
    const r = epochsForBudget(base);
    // (600 s − 5 s) / (0.4 s / (1 − 0.05 − margin)) steps left, plus the 12 done, in whole epochs of 25.
    const perStep = 400 / (1 - 0.05 - BUDGET_MARGIN);
    const expected = Math.floor((12 + Math.floor(595_000 / perStep)) / 25);
    expect(r).toEqual({ epochs: expected, totalSteps: expected * 25, fits: true });
    // The schedule (warmup included) ends in time: the remaining steps at their full cost fit.
    expect(5_000 + (r.totalSteps - 12) * perStep).toBeLessThanOrEqual(600_000);
    // ... and one epoch more would not.
    expect(5_000 + (r.totalSteps + 25 - 12) * perStep).toBeGreaterThan(600_000);
  });

  it('keeps at least the warmup and one epoch after it, and says when that does not fit', () => {
    const r = epochsForBudget({ ...base, budgetMs: 20_000, warmupEpochs: 3 });
    expect(r).toEqual({ epochs: 4, totalSteps: 100, fits: false });
    expect(epochsForBudget({ ...base, budgetMs: 20_000, warmupEpochs: 0.5 }).epochs).toBe(2);
  });

  it('never ends before the step already taken, even past the budget', () => {
    const r = epochsForBudget({ ...base, budgetMs: 1_000, elapsedMs: 2_000, stepsDone: 60, warmupEpochs: 0 });
    expect(r.epochs).toBe(3); // step 60 lies in epoch 3
    expect(r.fits).toBe(false);
  });

  it('scales with the budget', () => {
    const ten = epochsForBudget(base).epochs;
    const twenty = epochsForBudget({ ...base, budgetMs: 20 * 60_000 }).epochs;
    expect(twenty).toBeGreaterThanOrEqual(2 * ten - 1);
    expect(twenty).toBeLessThanOrEqual(2 * ten + 1);
  });
});

describe('budgetReady', () => {
  const after = { warmupDone: true, budgetMs: 600_000 };
  it('waits for enough steps and enough time', () => {
    expect(budgetReady(3, 10_000, after)).toBe(false);
    expect(budgetReady(50, 1_000, after)).toBe(false);
    expect(budgetReady(6, 3_000, after)).toBe(true);
  });
  it('times the whole warmup, or 5% of the budget when the warmup is longer', () => {
    const during = { warmupDone: false, budgetMs: 600_000 };
    expect(budgetReady(20, 10_000, during)).toBe(false);
    expect(budgetReady(80, 30_000, during)).toBe(true);
  });
});
