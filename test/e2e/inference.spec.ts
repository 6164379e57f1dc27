// Inference on new images: three images of the sample's kind get classes and nearest training
// images; a file that is not an image, and a truncated one, get reasons; the linear probe's head,
// kept with the checkpoint, classifies after a reload.
import { readFileSync } from 'node:fs';
import { png } from '../png';
import { expect, test } from './fixtures';
import { openWithSample, TINY } from './helpers';

const meta = JSON.parse(readFileSync('public/sample/fashion-mnist-2k.json', 'utf8')) as { pixels: string; width: number; height: number };
const pixels = readFileSync(`public/sample/${meta.pixels}`);
const image = (i: number) =>
  png(pixels.subarray(i * meta.width * meta.height, (i + 1) * meta.width * meta.height), meta.width, meta.height);

test('three new images get classes and neighbours; a non-image and a truncated file get reasons', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&backend=wasm`, 'wasm');
  await expect(page.getByTestId('infer-input')).toBeDisabled(); // nothing trained yet
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  const broken = image(7).subarray(0, 60);
  await page.getByTestId('infer-input').setInputFiles([
    { name: 'shirt.png', mimeType: 'image/png', buffer: image(3) },
    { name: 'shoe.png', mimeType: 'image/png', buffer: image(1500) },
    { name: 'bag.png', mimeType: 'image/png', buffer: image(1700) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from(broken) },
  ]);
  const items = page.getByTestId('infer-item');
  await expect(items).toHaveCount(3, { timeout: 120_000 });
  for (const item of await items.all()) {
    await expect(item.getByTestId('infer-classes').locator('li')).toHaveCount(3);
    await expect(item.getByTestId('infer-classes').locator('li').first()).toContainText(/\d+%/);
    await expect(item.getByTestId('infer-neighbours').locator('figure')).toHaveCount(5);
  }
  await expect(items.first()).toContainText('shirt.png');
  const skipped = page.getByTestId('infer-skipped');
  await expect(skipped).toContainText('notes.txt: not an image (.txt');
  await expect(skipped).toContainText('broken.png: could not be decoded');
  await expect(page.getByTestId('infer-probe')).toHaveCount(0); // no probe trained on these weights yet

  // Once a linear probe is trained on these weights, its classes show too.
  await page.getByTestId('probe-run').click();
  await expect(page.getByTestId('probe-accuracy')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('infer-input').setInputFiles([{ name: 'shirt.png', mimeType: 'image/png', buffer: image(3) }]);
  await expect(page.getByTestId('infer-item')).toHaveCount(1, { timeout: 120_000 });
  await expect(page.getByTestId('infer-probe')).toContainText(/linear probe: .+ \d+%, .+ \d+%, .+ \d+%/);
  const probeSays = await page.getByTestId('infer-probe').textContent();

  // The probe head is kept with the checkpoint: after a reload, the stored weights classify with it
  // at once, the same probabilities, no probe run needed.
  const step = await page.getByTestId('step').textContent();
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await page.locator(`[data-testid=checkpoint][data-step="${step}"]`).getByTestId('checkpoint-evaluate').click();
  await expect(page.getByTestId('eval-mode')).toContainText(`step ${step}`);
  await page.getByTestId('infer-input').setInputFiles([{ name: 'shirt.png', mimeType: 'image/png', buffer: image(3) }]);
  await expect(page.getByTestId('infer-item')).toHaveCount(1, { timeout: 120_000 });
  await expect(page.getByTestId('infer-probe')).toHaveText(probeSays!);
  await expect(page.getByTestId('probe-accuracy')).toHaveCount(0); // no probe was run on this page

  // Images dropped on the panel are classified there (not taken for a new dataset).
  const png64 = image(1500).toString('base64');
  const drop = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
    return dt;
  }, png64);
  await page.getByTestId('inference-panel').dispatchEvent('dragover', { dataTransfer: drop });
  await page.getByTestId('inference-panel').dispatchEvent('drop', { dataTransfer: drop });
  await expect(page.getByTestId('infer-item')).toContainText('dropped.png', { timeout: 60_000 });
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images'); // the dataset stays
});
