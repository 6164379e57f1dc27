// The whole page on a phone, 390 x 844 CSS px (an iPhone 12 to 15): nothing makes it scroll
// sideways, with a dataset loaded, while training, with results, and with the embeddings mapped.
// PHONE_SHOTS=1 also writes the screenshots that docs/ shows (docs/phone-390-*.png).
import { expect, type Page, test } from './fixtures';
import { openWithSample, overflowing, TINY, waitForStep } from './helpers';

const SHOTS = !!process.env.PHONE_SHOTS;

async function fitsWidth(page: Page, when: string) {
  const o = await overflowing(page);
  expect(o.scrollWidth, `${when}: wider than the window by ${o.elements.join(', ')}`).toBeLessThanOrEqual(o.innerWidth);
}

/** A screenshot of the page from `selector`'s top, `height` px tall, for docs/. */
async function shot(page: Page, name: string, selector: string, height: number) {
  if (!SHOTS) return;
  const box = await page.locator(selector).first().boundingBox();
  const y = (box?.y ?? 0) + (await page.evaluate(() => window.scrollY));
  await page.screenshot({ path: `docs/${name}.png`, fullPage: true, clip: { x: 0, y: Math.max(0, y - 8), width: 390, height } });
}

test.use({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });

test('at 390 px wide the page does not scroll sideways: dataset loaded, training, results, embeddings', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=3&backend=wasm`, 'wasm');
  await fitsWidth(page, 'dataset loaded');
  await shot(page, 'phone-390-dataset', 'body', 844);

  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 60_000 });
  await waitForStep(page, SHOTS ? 120 : 20); // the charts drawn
  await fitsWidth(page, 'training');
  await shot(page, 'phone-390-training', '.train', 844);

  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await page.getByTestId('knn-run').click();
  await expect(page.getByTestId('knn-accuracy')).toBeVisible({ timeout: 120_000 });
  await fitsWidth(page, 'k-NN results');
  // A chart's table of points stays in its own box.
  await page.getByTestId('chart-loss').getByTestId('chart-table-toggle').click();
  await fitsWidth(page, 'a chart table open');
  await page.getByTestId('chart-loss').getByTestId('chart-table-toggle').click();
  await shot(page, 'phone-390-results', '[data-testid=knn-accuracy]', 600);
  await shot(page, 'phone-390-checkpoints', '.checkpoints-panel', 600);

  await page.getByTestId('checkpoint-run').first().getByTestId('compare-toggle').click();
  await expect(page.getByTestId('compare-panel')).toBeVisible();
  await fitsWidth(page, 'compare open');

  await page.getByTestId('embed-run').click();
  await expect(page.getByTestId('embed-summary')).toContainText('images embedded', { timeout: 120_000 });
  await fitsWidth(page, 'embeddings mapped');
});
