// Learning shown while it happens: the online k-NN curve with its raw-pixel and random-init
// reference lines, kept in the checkpoints (a reload brings the curve back), and a time budget
// that sets the epochs and ends the schedule in time.
import { expect, test, type Page } from './fixtures';
import { openWithSample, stepOf, TINY, waitForStep } from './helpers';

const knnPoints = async (page: Page) => Number(await page.getByTestId('chart-knn').getAttribute('data-points'));
const savedSteps = async (page: Page) =>
  (await page.getByTestId('checkpoint').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))))).sort((a, b) => a - b);

test('a short run draws the online k-NN curve between both reference lines; its points survive a reload', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=20&knnEvery=10&checkpointEvery=10&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  const chart = page.getByTestId('chart-knn');
  await expect(chart).toBeVisible();
  // Step 0 (the random init) and a point every 10 steps.
  await expect.poll(() => knnPoints(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(4);
  for (const line of ['data-pixels', 'data-random']) {
    const v = Number(await chart.getAttribute(line));
    expect(v).toBeGreaterThan(0.1); // ten classes: chance is 0.1
    expect(v).toBeLessThan(1);
  }
  await expect(chart.locator('.recharts-reference-line')).toHaveCount(2);
  await expect(chart).toContainText('raw pixels');
  await expect(chart).toContainText('random init');
  await expect(chart).toContainText('256 test / 512 train images');
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(await knnPoints(page));

  await expect.poll(async () => Math.max(0, ...(await savedSteps(page))), { timeout: 60_000 }).toBeGreaterThanOrEqual(30);
  const saved = Math.max(...(await savedSteps(page)));
  await page.reload();
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toBeVisible({ timeout: 90_000 });
  await offer.getByTestId('resume-offer-accept').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  // The curve is back from the checkpoint: step 0 and every 10 steps up to the checkpoint at least.
  await expect.poll(() => knnPoints(page)).toBeGreaterThanOrEqual(Math.floor(saved / 10) + 1);
  await expect(chart.locator('.recharts-reference-line')).toHaveCount(2);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});

test('a time budget sets the epochs from the measured steps and the run ends with its schedule', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&backend=wasm`, 'wasm');
  const budget = page.getByTestId('train-budget');
  await budget.fill('0.4');
  await budget.press('Enter');
  await expect(page).toHaveURL(/budgetMinutes=0.4/);
  const t0 = Date.now();
  await page.getByTestId('train-start').click();
  const plan = page.getByTestId('budget-plan');
  await expect(plan).toContainText(/budget 0\.4 min → \d+ epochs/, { timeout: 60_000 });
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  const seconds = (Date.now() - t0) / 1000;
  const epochs = Number((await plan.textContent())!.match(/→ (\d+) epochs/)![1]); // the plan as it ended
  expect(epochs).toBeGreaterThan(1); // the budget, not epochs=1, set the length
  console.log(`budget 24 s: ${epochs} epochs, done after ${seconds.toFixed(1)} s (page clock, from the click)`);
  // The whole schedule ran: 100 steps per epoch at batch 16 on 1,600 training images.
  expect(await stepOf(page)).toBe(epochs * 100);
  await waitForStep(page, epochs * 100 - 1);
  expect(seconds).toBeLessThan(24 * 1.5);
});
