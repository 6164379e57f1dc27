// Collapse warnings reach the UI with the step at which they fired, and a diverging run stops.
import { expect, test } from '@playwright/test';
import { openWithSample } from './helpers';

const TINY_CPU = 'backend=cpu&batchSize=32&imageSize=16&width=4&projector=32-32&metricsEvery=2&diagEvery=2';

test('a run with only the invariance term collapses and the studio says so, with the step', async ({ page }) => {
  // Without the variance and covariance terms nothing stops both views mapping to one point.
  await openWithSample(page, `${TINY_CPU}&stdCoeff=0&covCoeff=0&optimizer=sgd&baseLr=20&warmupEpochs=0`, 'cpu');
  await page.getByTestId('train-start').click();
  const warning = page.getByTestId('warnings').locator('[data-kind=std-collapse], [data-kind=cosine]').first();
  await expect(warning).toContainText(/Step \d+:.*(std|cosine)/, { timeout: 120_000 });
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});

test('a diverging run stops with the step of the first non-finite loss, charts stay finite', async ({ page }) => {
  await openWithSample(page, `${TINY_CPU}&optimizer=sgd&baseLr=100&warmupEpochs=0`, 'cpu');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('failed', { timeout: 60_000 });
  await expect(page.getByTestId('warnings')).toContainText(/Training failed: the loss became (NaN|-?Infinity) at step \d+/);
  await expect(page.getByTestId('warnings').locator('[data-kind=non-finite]')).toHaveCount(1);
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-finite', 'true');
});
