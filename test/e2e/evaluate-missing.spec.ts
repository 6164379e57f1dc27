// A class with no test images (one image: round(0.2 · 1) = 0 go to the test split) is reported by
// k-NN and the probe, not a crash: the report names it and the probe has no accuracy for it.
import { expect, test } from './fixtures';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { png } from '../png';

test('a class without test images is listed in the k-NN and probe reports', async ({ page }, info) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto('/#backend=wasm&batchSize=8&imageSize=16&width=4&projector=32-32&epochs=3&metricsEvery=2&knnK=5&probeEpochs=5');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  const root = join(info.outputDir, 'missing');
  rmSync(root, { recursive: true, force: true });
  const classes: [string, number, number][] = [
    ['bright', 12, 200],
    ['dark', 12, 50],
    ['single', 1, 128],
  ];
  for (const [name, n, level] of classes) {
    mkdirSync(join(root, name), { recursive: true });
    for (let i = 0; i < n; i++) {
      const gray = Uint8Array.from({ length: 16 * 16 }, (_, p) => Math.max(0, Math.min(255, level + ((p * 31 + i * 17) % 41) - 20)));
      writeFileSync(join(root, name, `${i}.png`), png(gray, 16, 16));
    }
  }
  await page.getByTestId('folder-input').setInputFiles(root);
  await expect(page.getByTestId('dataset-summary')).toContainText('25 images, 3 classes', { timeout: 60_000 });
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });

  await page.getByTestId('knn-run').click();
  await expect(page.getByTestId('knn-accuracy')).toContainText('on 4 test images against 21 training images', { timeout: 60_000 });
  const knn = page.locator('.eval').getByTestId('missing-classes');
  await expect(knn).toHaveText(/No test images .*: single \(1 training\)\./);

  await page.getByTestId('probe-run').click();
  await expect(page.getByTestId('probe-accuracy')).toContainText('5 epochs', { timeout: 60_000 });
  await expect(page.locator('.eval').getByTestId('missing-classes')).toHaveCount(2);
  await page.getByTestId('probe-confusion').locator('summary').click();
  const single = page.getByTestId('probe-confusion').locator('tbody tr').nth(2);
  await expect(single).toContainText('single');
  await expect(single.locator('td').last()).toHaveText('no test images');
  for (const name of ['trained', 'random init', 'raw pixels']) {
    const top1 = Number(await page.getByTestId('probe-accuracy').locator(`tr[data-row="${name}"]`).getAttribute('data-top1'));
    expect(top1).toBeGreaterThanOrEqual(0);
    expect(top1).toBeLessThanOrEqual(1);
  }
});
