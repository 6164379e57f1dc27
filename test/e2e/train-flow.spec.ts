// The whole flow, once per forced backend: sample dataset, train until the step counter and the
// loss chart advance, pause (the counter holds), resume (it moves again), stop.
// WASM cannot train convolutions in TF.js 4.22 (no Conv2DBackpropFilter), so the CPU backend
// stands in for it here; the WASM test below checks the fallback says so.
import { expect, test } from '@playwright/test';
import { lossPoints, openWithSample, stepOf, TINY, waitForStep } from './helpers';

for (const backend of ['webgpu', 'webgl', 'cpu'] as const) {
  test(`trains, pauses, resumes and stops on ${backend}`, async ({ page }) => {
    await openWithSample(page, `${TINY}&backend=${backend}`, backend);
    await page.getByTestId('train-start').click();
    await expect(page.getByTestId('run-state')).toHaveText('running');
    const s1 = await waitForStep(page, 3);
    await expect.poll(() => lossPoints(page)).toBeGreaterThan(2);
    await expect(page.getByTestId('chart-loss').locator('path.recharts-line-curve')).toHaveCount(1);

    await page.getByTestId('train-pause').click();
    await expect(page.getByTestId('run-state')).toHaveText('paused');
    const held = await stepOf(page);
    expect(held).toBeGreaterThanOrEqual(s1);
    await page.waitForTimeout(1500);
    expect(await stepOf(page)).toBe(held);

    await page.getByTestId('train-resume').click();
    await expect(page.getByTestId('run-state')).toHaveText('running');
    await waitForStep(page, held + 2);

    await page.getByTestId('train-stop').click();
    await expect(page.getByTestId('run-state')).toHaveText('stopped');
    const stopped = await stepOf(page);
    await page.waitForTimeout(1000);
    expect(await stepOf(page)).toBe(stopped);
    // Every loss value streamed is finite, and the worker never reported a failure. (Collapse
    // warnings may fire: a model this tiny has dead ReLU channels.)
    await expect(page.locator('.warnings .error')).toHaveCount(0);
    await expect(page.locator('.warnings [data-kind=non-finite]')).toHaveCount(0);
    await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-finite', 'true');
  });
}

test('forcing wasm falls back to a backend that trains, and says why wasm was skipped', async ({ page }) => {
  await page.goto(`/#${TINY}&backend=wasm`);
  const attempts = page.getByTestId('backend-attempts');
  await expect(attempts).toContainText(/wasm skipped: .*Conv2DBackpropFilter/, { timeout: 90_000 });
  await expect(page.getByTestId('backend')).not.toHaveText('wasm');
  await expect(page.getByTestId('backend')).not.toHaveText('choosing…');
});

test('auto picks the first backend that trains and the run reaches the end', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&batchSize=64`, 'webgpu');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
  expect(await stepOf(page)).toBe(25); // 1600 training images / 64 per batch
  expect(await lossPoints(page)).toBe(25);
  await page.screenshot({ path: 'test-results/studio.png', fullPage: true });
});
