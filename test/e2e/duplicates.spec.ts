// Exact duplicates found at ingest (workers/dataset/duplicates.ts): two identical images in one
// class are listed as information, one image filed under two classes as a label conflict; both
// survive a reload, and dropping them stores the folder again with the right count.
import { expect, test } from './fixtures';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../workers/dataset/random';
import { png } from '../png';

const HASH = 'backend=wasm&batchSize=4&imageSize=16&width=4&projector=32-32';

test('identical images are listed (copies as information, across classes as a warning) and can be dropped', async ({ page }, info) => {
  page.on('pageerror', (e) => console.log('page error:', e.message));
  const root = join(info.outputDir, 'dups');
  rmSync(root, { recursive: true, force: true });
  const rand = mulberry32(3);
  const image = () =>
    png(
      Uint8Array.from({ length: 20 * 20 }, () => Math.floor(rand() * 256)),
      20,
      20,
    );
  for (const c of ['a', 'b']) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 1; i <= 5; i++) writeFileSync(join(root, c, `${i}.png`), image());
  }
  const twice = image();
  writeFileSync(join(root, 'a', 'same.png'), twice);
  writeFileSync(join(root, 'a', 'same-again.png'), twice); // 12 files: 7 in a, 5 in b, so far
  // a/3.png filed under b as well
  writeFileSync(join(root, 'b', 'misfiled.png'), readFileSync(join(root, 'a', '3.png'))); // 13 files

  await page.goto(`/#${HASH}`);
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await page.getByTestId('folder-input').setInputFiles(root);
  await expect(page.getByTestId('dataset-summary')).toContainText('13 images, 2 classes', { timeout: 60_000 });
  const listed = async () => {
    const box = page.getByTestId('dataset-duplicates');
    await expect(box).toContainText('2 groups of exact duplicates');
    const copies = box.locator('li[data-kind="copies"]');
    const conflict = box.locator('li[data-kind="conflict"]');
    await expect(copies).toHaveCount(1);
    await expect(conflict).toHaveCount(1);
    await expect(copies).toHaveClass(/info/);
    await expect(copies).toContainText('2 identical copies in class a: dups/a/same-again.png, dups/a/same.png');
    await expect(conflict).toHaveClass(/warning/);
    await expect(conflict).toContainText('the same image is filed under class a and class b: dups/a/3.png, dups/b/misfiled.png');
  };
  await listed();

  // The list comes back with the stored dataset.
  await page.reload();
  await expect(page.getByTestId('dataset-summary')).toContainText('13 images, 2 classes', { timeout: 90_000 });
  await listed();

  // Dropping keeps the first copy of a/same*.png and no copy of the conflicting image: 13 - 1 - 2.
  await page.getByTestId('duplicates-drop-conflicts').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('10 images, 2 classes', { timeout: 60_000 });
  await expect(page.getByTestId('dataset-summary').locator('.classes')).toContainText('a 5');
  await expect(page.getByTestId('dataset-summary').locator('.classes')).toContainText('b 5');
  await expect(page.getByTestId('dataset-duplicates')).toHaveCount(0);
  // Stored in place of the old one, and that is what comes back.
  await expect(page.getByTestId('stored-dataset')).toHaveCount(1);
  await expect(page.getByTestId('stored-datasets')).toContainText('dups · 10 images');
  await page.reload();
  await expect(page.getByTestId('dataset-summary')).toContainText('10 images, 2 classes', { timeout: 90_000 });
  await expect(page.getByTestId('dataset-duplicates')).toHaveCount(0);
});
