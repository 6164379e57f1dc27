// Every line chart can be read without seeing it (src/train/chartText.tsx): the figure is named by
// its caption and described by a summary in words with its numbers; a "table" button shows the
// points it plots as a table; the plot itself is hidden from assistive technology and not a tab stop.
import { expect, type Page, test } from './fixtures';
import { openWithSample, TINY } from './helpers';

/** Checks each chart figure under `scope`, of which there are `expected`. */
async function checkCharts(page: Page, scope: string, expected: number) {
  const figures = page.locator(`${scope} figure.chart`);
  await expect(figures).toHaveCount(expected);
  expect(expected).toBeGreaterThan(0);
  for (const figure of await figures.all()) {
    const id = await figure.getAttribute('data-testid');
    await expect(figure, `${id}: a name`).toHaveAccessibleName(/\S/);
    await expect(figure, `${id}: a summary with numbers`).toHaveAccessibleDescription(/\d/);
    await expect(figure.locator('.chart-plot'), `${id}: the plot hidden`).toHaveAttribute('aria-hidden', 'true');
    expect(await figure.locator('[tabindex]:not([tabindex="-1"])').count(), `${id}: no tab stop in the plot`).toBe(0);

    const toggle = figure.getByTestId('chart-table-toggle');
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(figure.getByTestId('chart-table')).toHaveCount(0);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const table = figure.getByTestId('chart-table');
    await expect(table).toBeVisible();
    expect(
      await page
        .locator(`#${await toggle.getAttribute('aria-controls')}`)
        .locator('table')
        .count(),
    ).toBe(1);
    await expect(table.locator('caption')).toContainText('points plotted');
    expect(await table.locator('thead th[scope=col]').count()).toBeGreaterThanOrEqual(2);
    const plotted = Number(await figure.getAttribute('data-plotted'));
    expect(plotted, `${id}: points plotted`).toBeGreaterThan(0);
    await expect(table.locator('tbody tr'), `${id}: a row per point plotted`).toHaveCount(plotted);
    // The plot draws as many points as the table lists: a line's path has one command per point
    // ("M" then "L"s); the k-NN line draws a dot per point.
    if (id?.startsWith('chart-') && id !== 'chart-knn') {
      const d = (await figure.locator('path.recharts-line-curve').first().getAttribute('d')) ?? '';
      expect(d.match(/[ML]/g)?.length, `${id}: points in the drawn line`).toBe(plotted);
    }
    if (id === 'chart-knn') await expect(figure.locator('.recharts-line-dot')).toHaveCount(plotted);
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(table).toHaveCount(0);
  }
}

test('every chart is named by its caption, summarised in words, and lists its plotted points as a table', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=3&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('chart-knn')).toBeVisible();
  // 7 loss terms and schedules, 5 collapse diagnostics, the online k-NN.
  await checkCharts(page, '.train', 13);
  const loss = page.getByTestId('chart-loss');
  await expect(loss).toHaveAccessibleName(/^Loss \d/);
  await expect(loss).toHaveAccessibleDescription(
    /^Loss \d\S* at step \d+ to \d\S* at step \d+ \(min \d\S*, max \d\S*\), (rising|falling|flat)\.$/,
  );

  await page.getByTestId('checkpoint-run').first().getByTestId('compare-toggle').click();
  await expect(page.getByTestId('compare-panel')).toBeVisible();
  await checkCharts(page, '[data-testid=compare-panel]', 7);
});
