// k-NN and the linear probe after a short run on the sample set: the trained encoder beside a
// random-init encoder of the same architecture and seed and raw pixels, on the 400-image test split.
import { expect, test } from '@playwright/test';
import { openWithSample } from './helpers';

test('k-NN and the linear probe report top-1 and top-5 for the trained encoder and both baselines', async ({ page }) => {
  await openWithSample(page, 'backend=wasm&batchSize=64&imageSize=16&width=8&projector=64-64&epochs=2&metricsEvery=5', 'wasm');
  await expect(page.getByTestId('eval-blocked')).toContainText('Train first');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('eval-blocked')).toContainText('stop training first');
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
  await page.getByTestId('knn-run').click();
  const table = page.getByTestId('knn-accuracy');
  await expect(table).toContainText('on 400 test images against 1600 training images', { timeout: 120_000 });
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), Number(tr.getAttribute('data-top1')), tr.textContent]));
  console.log('k-NN:', rows.map(([n, a]) => `${n} ${(100 * Number(a)).toFixed(1)}%`).join(', '));
  expect(rows.map((r) => r[0])).toEqual(['trained', 'random init', 'raw pixels']);
  // Ten balanced classes: chance is 10%; every row must do clearly better, and report top-5.
  for (const [name, top1, text] of rows) {
    expect(top1 as number, name as string).toBeGreaterThan(0.3);
    expect(text).toMatch(/\d+\.\d%\d+\.\d%$/);
  }

  await page.getByTestId('probe-run').click();
  const probe = page.getByTestId('probe-accuracy');
  await expect(probe).toContainText('50 epochs', { timeout: 150_000 });
  const probeRows = await probe.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), Number(tr.getAttribute('data-top1'))]));
  console.log('probe:', probeRows.map(([n, a]) => `${n} ${(100 * Number(a)).toFixed(1)}%`).join(', '));
  expect(probeRows.map((r) => r[0])).toEqual(['trained', 'random init', 'raw pixels']);
  for (const [name, top1] of probeRows) expect(top1 as number, name as string).toBeGreaterThan(0.3);
  // The confusion matrix of this run: 10 rows that add up to the 400 test images.
  await page.getByTestId('probe-confusion').locator('summary').click();
  const cells = await page.getByTestId('probe-confusion').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).slice(0, -1).map((td) => Number(td.textContent))));
  expect(cells).toHaveLength(10);
  expect(cells.flat().reduce((a, v) => a + v, 0)).toBe(400);
  await page.getByTestId('probe-confusion').screenshot({ path: 'test-results/evaluate.png' });
});
