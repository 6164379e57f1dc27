// A notice that concerns the run shows in the Train panel, where the user is watching, as well as
// in the Checkpoints panel, and goes once it no longer holds. The disk fills up mid-run: the
// browser's quota for this origin is overridden (CDP Storage.overrideQuotaForOrigin) to what is
// already used, so the next checkpoint cannot be written; then the quota is given back and a
// later checkpoint is saved.
import { expect, test } from './fixtures';
import { openWithSample, TINY, waitForStep } from './helpers';

test('a checkpoint the full disk refused is shown in the Train panel, and cleared once a later save succeeds', async ({ page }) => {
  test.setTimeout(240_000);
  await openWithSample(page, `${TINY}&epochs=60&checkpointEvery=5&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 6);
  const origin = new URL(page.url()).origin;
  const cdp = await page.context().newCDPSession(page);
  const used = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: used });
  const notice = page.getByTestId('train-notice');
  await expect(notice).toContainText('Checkpoint not saved', { timeout: 90_000 });
  await expect(notice).toContainText(/storage|quota|full/i);
  console.log(`Train panel: ${await notice.textContent()}`);
  await expect(page.getByTestId('checkpoint-notice')).toContainText('Checkpoint not saved');
  // The notice sits in the Train panel, beside the run's progress.
  await expect(page.locator('section.train').getByTestId('train-notice')).toBeVisible();
  await expect(page.getByTestId('run-state')).toHaveText('running'); // the run goes on
  await cdp.send('Storage.overrideQuotaForOrigin', { origin }); // the quota back: space was freed
  await expect(notice).toHaveCount(0, { timeout: 90_000 });
  await expect(page.getByTestId('checkpoint-notice')).toHaveCount(0);
  await page.getByTestId('train-stop').click();
});
