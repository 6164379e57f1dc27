// A lost WebGPU device (a driver reset, the GPU process crashing) leaves TF.js 4.22's WebGPU
// backend unusable and does not say so. The studio notices (device.lost), replaces the worker,
// falls back to the next backend for the rest of the page's life, and resumes the run from its
// last checkpoint on request. The device is destroyed on purpose here (GPUDevice.destroy()).
import { expect, test, type Page } from './fixtures';
import { openWithSample, TINY, waitForStep } from './helpers';

const savedSteps = async (page: Page) =>
  (await page.getByTestId('checkpoint').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))))).sort((a, b) => a - b);

test('a lost GPU device: the run stops, the studio falls back to the next backend and resumes there', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=30&checkpointEvery=3&backend=webgpu`, 'webgpu');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 4, 150_000);
  await expect.poll(async () => Math.max(0, ...(await savedSteps(page))), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  const w = page.workers().find((x) => /worker/.test(x.url()))!;
  await w.evaluate(() => self.dispatchEvent(new MessageEvent('message', { data: { type: 'vicreg:destroy-gpu-device' } })));
  await expect(page.getByTestId('checkpoint-notice')).toContainText(
    /the GPU device was lost \(.*reason: destroyed\), and the training worker with it\. A new worker was started/,
    { timeout: 60_000 },
  );
  // The new worker never tries WebGPU again on this page, and says why.
  await expect(page.getByTestId('backend')).not.toHaveText('webgpu', { timeout: 120_000 });
  await expect(page.getByTestId('backend')).toHaveText(/webgl|wasm|cpu/);
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toContainText(/stopped at step \d+ of/, { timeout: 90_000 });
  const saved = Number(/stopped at step (\d+) of/.exec((await offer.textContent())!)![1]);
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images', { timeout: 60_000 });
  await offer.getByTestId('resume-offer-accept').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await waitForStep(page, saved + 2, 150_000);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});
