// The whole flow, once per forced backend: sample dataset, train until the step counter and the
// loss chart advance, pause (the counter holds), resume (it moves again), stop.
// WASM trains convolutions with the kernels of workers/backend/wasm/.
import { expect, test } from './fixtures';
import { lossPoints, openWithSample, stepOf, TINY, waitForStep } from './helpers';

for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu'] as const) {
  test(`trains, pauses, resumes and stops on ${backend}`, async ({ page }) => {
    await openWithSample(page, `${TINY}&epochs=20&backend=${backend}`, backend);
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

test('on wasm the loss goes down over two epochs of the sample set', async ({ page }) => {
  // 1600 / 64 = 25 steps an epoch; lr warms up over the first epoch.
  await openWithSample(page, 'batchSize=64&imageSize=16&width=8&projector=64-64&epochs=2&metricsEvery=5&backend=wasm', 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
  expect(await lossPoints(page)).toBe(50);
  const chart = page.getByTestId('chart-loss');
  const head = Number(await chart.getAttribute('data-head'));
  const tail = Number(await chart.getAttribute('data-tail'));
  console.log(`wasm: loss ${head.toFixed(3)} (first 5 steps) -> ${tail.toFixed(3)} (last 5)`);
  expect(tail).toBeLessThan(head - 0.5);
});

test('auto times every working backend, keeps the fastest, and the run reaches the end', async ({ page }) => {
  await page.goto(`/#${TINY}&epochs=1&batchSize=64`);
  await expect(page.getByTestId('backend-how')).toHaveText('fastest measured', { timeout: 150_000 });
  const attempts = page.getByTestId('backend-attempts').locator('li[data-ms-per-image]');
  const speeds = await attempts.evaluateAll((items) =>
    items.map((li) => [li.getAttribute('data-name'), Number(li.getAttribute('data-ms-per-image'))] as const),
  );
  console.log('auto measured (ms/image):', speeds.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', '));
  expect(speeds.length).toBeGreaterThanOrEqual(2);
  const fastest = [...speeds].sort((a, b) => a[1] - b[1])[0][0]!;
  await expect(page.getByTestId('backend')).toHaveText(fastest);

  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('1600 train / 400 test');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
  expect(await stepOf(page)).toBe(25); // 1600 training images / 64 per batch
  expect(await lossPoints(page)).toBe(25);
  await page.screenshot({ path: 'test-results/studio.png', fullPage: true });

  // A reload reuses the ranking instead of timing again.
  await page.reload();
  await expect(page.getByTestId('backend-how')).toHaveText('fastest measured earlier', { timeout: 90_000 });
  await expect(page.getByTestId('backend')).toHaveText(fastest);
});
