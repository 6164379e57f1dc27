// A damaged record in IndexedDB (written by another version, a bug, or by hand) must not take the
// page down: the panel that cannot render it says so in its place, and the rest works.
import { expect, test } from './fixtures';

test('a run record that cannot be rendered stops only its panel; the rest of the studio works', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  // A run whose name is an object and whose loss is text, in the studio's own store.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('vicreg-studio-checkpoints');
      req.onupgradeneeded = () => req.result.createObjectStore('checkpoints');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const run = { runId: 'bad', name: { nested: true }, dataset: { id: 'x', name: 'x' }, config: {}, totalSteps: 10, finished: false, updatedAt: Date.now(), checkpoints: [{ key: 'ckpt:bad', step: 5, createdAt: Date.now(), reason: 'interval', bytes: 10, loss: 'x' }] };
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('checkpoints', 'readwrite');
      tx.objectStore('checkpoints').put(run, 'run:bad');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  const failed = page.getByTestId('panel-failed');
  await expect(failed.first()).toContainText('This panel stopped');
  await expect(failed.first()).toContainText('nothing stored was changed');
  // The panels that do not show runs still work: the sample loads and Train is ready.
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('train-start')).toBeEnabled();
});
