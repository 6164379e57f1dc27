// A damaged record in IndexedDB (written by another version, a bug, or by hand) must not take the
// page down: it is listed as damaged with Delete, and a panel that fails to render for any other
// reason says so in its place while the rest works.
import { expect, test } from './fixtures';

/** Puts `value` at `key` in one of the studio's stores (checkpoints by default), as another version could have. */
async function putRaw(
  page: import('@playwright/test').Page,
  key: string,
  value: unknown,
  [dbName, storeName] = ['vicreg-studio-checkpoints', 'checkpoints'],
) {
  await page.evaluate(
    async ([key, value, dbName, storeName]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(dbName as string);
        req.onupgradeneeded = () => req.result.createObjectStore(storeName as string);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(storeName as string, 'readwrite');
        tx.objectStore(storeName as string).put(value, key as string);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    [key, value, dbName, storeName] as const,
  );
}

test('a damaged run record is listed as damaged with Delete, and the rest of the studio works', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  // A run whose name is an object and whose loss is text, with a checkpoint under its id.
  const run = {
    runId: 'bad',
    name: { nested: true },
    dataset: { id: 'x', name: 'x' },
    config: {},
    totalSteps: 10,
    finished: false,
    updatedAt: Date.now(),
    checkpoints: [{ key: 'ckpt:bad:000000005:1', step: 5, createdAt: Date.now(), reason: 'interval', bytes: 10, last: { loss: 'x' } }],
  };
  await putRaw(page, 'run:bad', run);
  await putRaw(page, 'ckpt:bad:000000005:1', { meta: {}, data: new Float32Array(2) });
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  const damaged = page.getByTestId('damaged-run');
  await expect(damaged).toContainText('bad');
  await expect(damaged).toContainText('damaged: the run record is damaged: name is Object, expected string');
  await expect(page.getByTestId('panel-failed')).toHaveCount(0);
  // The rest works: the sample loads and Train is ready.
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('train-start')).toBeEnabled();
  // Delete removes the record and its checkpoint.
  await page.getByTestId('damaged-run-delete').click();
  await expect(damaged).toHaveCount(0);
  const left = await page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const req = indexedDB.open('vicreg-studio-checkpoints');
        req.onsuccess = () => {
          const keys = req.result.transaction('checkpoints').objectStore('checkpoints').getAllKeys();
          keys.onsuccess = () => resolve(keys.result.map(String));
        };
      }),
  );
  expect(left.filter((k) => k.includes('bad'))).toEqual([]);
});

test('a panel that throws while rendering stops only itself; Try again brings it back', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await page.evaluate(() => sessionStorage.setItem('vicreg:test-crash-panel', 'Checkpoints'));
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  const failed = page.getByTestId('panel-failed');
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText('This panel stopped: Checkpoints was made to fail for a test');
  await expect(failed).toContainText('nothing stored was changed');
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('train-start')).toBeEnabled();
  await page.evaluate(() => sessionStorage.removeItem('vicreg:test-crash-panel')); // the "bug" is fixed
  await failed.getByRole('button', { name: 'Try again' }).click();
  await expect(failed).toHaveCount(0);
  await expect(page.getByTestId('checkpoint-list')).toBeVisible();
});

test('a damaged stored dataset is listed with the reason and can be deleted', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await putRaw(page, 'meta:broken', { id: 'broken', name: 'broken', count: 3, classes: 1, size: 'big', chunks: 1 }, [
    'vicreg-studio',
    'datasets',
  ]);
  await putRaw(page, 'pixels:broken:0', new Uint8Array(12), ['vicreg-studio', 'datasets']);
  await page.reload();
  const item = page.getByTestId('stored-dataset');
  await expect(item).toContainText('broken: the stored record is damaged: size is not a number');
  await expect(item.getByRole('button', { name: 'Use' })).toHaveCount(0);
  await page.getByTestId('sample-dataset').click(); // the rest works
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await item.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('stored-dataset')).toHaveCount(0);
});
