// Comparing runs: two finished runs, ticked in the checkpoint list, overlay their curves with a
// legend and list the settings that differ; the histories come from IndexedDB, so it works again
// after a reload.
import { expect, test } from './fixtures';
import { openWithSample, TINY } from './helpers';

test('two finished runs tick into overlaid charts with a legend and a table of what differs', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await page.getByTestId('preset').selectOption('adaptive'); // AVT + SICov
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(2);

  const tickBoth = async () => {
    // The box shows the run as compared once its histories are read (a moment later).
    for (const run of await page.getByTestId('checkpoint-run').all()) {
      await run.getByTestId('compare-toggle').click();
      await expect(run.getByTestId('compare-toggle')).toBeChecked();
    }
  };
  await tickBoth();
  const panel = page.getByTestId('compare-panel');
  await expect(panel.getByTestId('compare-legend').locator('li')).toHaveCount(2);
  for (const id of ['loss', 'variance', 'gamma', 'rankme', 'knn'])
    await expect(panel.getByTestId(`compare-chart-${id}`)).toHaveAttribute('data-series', '2');
  await expect(panel.locator('tr[data-key="varianceMode"]')).toContainText('adaptive');
  await expect(panel.locator('tr[data-key="varianceMode"]')).toContainText('fixed');
  await expect(panel.locator('tr[data-key="covarianceMode"]')).toContainText('sicov');
  await expect(panel.locator('tr[data-key="batchSize"]')).toHaveCount(0); // the same in both: not listed
  await panel.getByTestId('compare-axis').selectOption('images');
  await expect(panel.getByTestId('compare-chart-loss')).toHaveAttribute('data-series', '2');

  // Unticking takes a run out; after a reload the histories come back from IndexedDB.
  await page.getByTestId('checkpoint-run').first().getByTestId('compare-toggle').click();
  await expect(panel.getByTestId('compare-legend').locator('li')).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(2);
  await expect(page.getByTestId('compare-panel')).toHaveCount(0);
  await tickBoth();
  await expect(page.getByTestId('compare-panel').getByTestId('compare-chart-loss')).toHaveAttribute('data-series', '2');
});
