// Collapse warnings reach the UI with the step at which they fired, and a diverging run stops.
import { expect, test } from './fixtures';
import { openWithSample } from './helpers';

const TINY_WASM = 'backend=wasm&batchSize=32&imageSize=16&width=4&projector=32-32&metricsEvery=2&diagEvery=2';

test('a run with only the invariance term collapses and the studio says so, with the step', async ({ page }) => {
  // Without the variance and covariance terms nothing stops both views mapping to one point.
  await openWithSample(page, `${TINY_WASM}&stdCoeff=0&covCoeff=0&optimizer=sgd&baseLr=2&warmupEpochs=0&epochs=1`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  const warnings = page.getByTestId('warnings');
  await expect(warnings.locator('[data-kind=std-collapse]', { hasText: 'projector' })).toContainText(
    /^Step \d+:projector output: the smallest per-dimension std is/,
  );
  await expect(warnings.locator('[data-kind=cov-zero]')).toContainText(
    /^Step \d+:covariance term .* \(near 0\) while the variance hinge stays/,
  );
  // The std chart shows it too: the projector's smallest std ends near 0.
  await expect(page.getByTestId('chart-std-projector').locator('.legend')).toContainText(/min 0\.00/);
});

test('a diverging run stops with the step of the first non-finite loss, charts stay finite', async ({ page }) => {
  await openWithSample(page, `${TINY_WASM}&optimizer=sgd&baseLr=100&warmupEpochs=0`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('failed', { timeout: 60_000 });
  await expect(page.getByTestId('warnings')).toContainText(/Training failed: the loss became (NaN|-?Infinity) at step \d+/);
  await expect(page.getByTestId('warnings').locator('[data-kind=non-finite]')).toHaveCount(1);
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-finite', 'true');
});
