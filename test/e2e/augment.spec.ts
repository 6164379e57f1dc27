// The two-view preview: the worker draws the official recipe on real sample images; new draws
// and changed settings give new views; training reports data and compute time separately.
import { expect, test, type Page } from './fixtures';
import { openWithSample, TINY, waitForStep } from './helpers';

const pixels = (page: Page, item: number, view: number) =>
  page
    .getByTestId('augment-item')
    .nth(item)
    .locator('canvas')
    .nth(view)
    .evaluate((c: HTMLCanvasElement) => c.toDataURL());

test('the preview shows originals with two different views, redraws, and follows the settings', async ({ page }) => {
  await openWithSample(page, `${TINY}&backend=wasm`, 'wasm');
  const preview = page.getByTestId('augment-preview');
  await expect(preview).toHaveAttribute('data-items', '8');
  // One image per class first: the eight captions are eight different classes.
  const labels = await page.getByTestId('augment-item').locator('figcaption').allTextContents();
  expect(new Set(labels).size).toBe(8);
  const v1 = await pixels(page, 0, 1);
  const v2 = await pixels(page, 0, 2);
  expect(v1).not.toBe(v2);

  await page.getByTestId('augment-redraw').click();
  await expect.poll(() => pixels(page, 0, 1)).not.toBe(v1);

  const before = await pixels(page, 0, 1);
  await page.locator('summary', { hasText: 'Augment' }).click();
  const field = page.getByTestId('config-cropScaleMin');
  await field.fill('1');
  await field.press('Enter');
  await expect.poll(() => pixels(page, 0, 1)).not.toBe(before);
});

test('training shows the data and compute time of a step', async ({ page }) => {
  await openWithSample(page, `${TINY}&backend=wasm&diagEvery=3`, 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 4);
  await expect(page.getByTestId('step-timing')).toContainText(/data \d+ ms · compute \d+ ms/);
  await page.getByTestId('train-stop').click();
});
