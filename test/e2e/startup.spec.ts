// The first visit: the backend is measured in the background (auto times every backend, tens of
// seconds on a laptop without a GPU), and nothing but computing waits for it.
import { expect, test } from './fixtures';

test('data, settings and stored runs are usable at once; Train waits, says for what, and Skip ends the wait', async ({ page }) => {
  await page.goto('/'); // a fresh context: no cached ranking, so auto measures every backend
  // The first click is possible within 2 s of load, while the backend is still being chosen.
  await expect(page.getByTestId('sample-dataset')).toBeEnabled({ timeout: 2000 });
  await expect(page.getByTestId('folder-input')).toBeEnabled();
  await expect(page.getByTestId('backend')).toHaveText('choosing…');
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('backend')).toHaveText('choosing…'); // the data came first
  // Train waits for the measurement and says which backend is being timed.
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await expect(page.getByTestId('train-waiting')).toContainText(/measuring backends: \w+ \(\d of \d\)/);
  await page.getByTestId('backend-skip').click();
  await expect(page.getByTestId('train-start')).toBeEnabled({ timeout: 120_000 });
  await expect(page.getByTestId('backend-how')).toHaveText('measurement skipped');
  await expect(page.getByTestId('backend-attempts')).toContainText('not measured: the measurement was skipped');
});
