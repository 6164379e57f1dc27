// The worker that trains can die (out of memory, a crash). The page notices — by the worker's
// error event, or by its silence (src/liveness.ts) — rejects what waited on it, says what
// happened, starts a new worker, and resumes the run from its last checkpoint on request.
import { expect, test, type Page } from './fixtures';
import { MIN_SILENCE_MS } from '../../src/liveness';
import { openWithSample, stepOf, TINY, waitForStep } from './helpers';

const savedSteps = async (page: Page) =>
  (await page.getByTestId('checkpoint').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))))).sort((a, b) => a - b);

async function trainingWorker(page: Page) {
  // The training worker's chunk (assets/worker-<hash>.js), not the augmentation worker it starts.
  const w = page.workers().find((x) => /\/worker-[^/]*\.js/.test(x.url()));
  expect(w, 'the training worker').toBeTruthy();
  return w!;
}

/** A run training with checkpoints every 5 steps, past its second; its worker and the step shown. */
async function trainingWithCheckpoints(page: Page) {
  await openWithSample(page, `${TINY}&epochs=30&checkpointEvery=5&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 12);
  await expect.poll(async () => Math.max(0, ...(await savedSteps(page)))).toBeGreaterThanOrEqual(10);
  return { w: await trainingWorker(page), killed: await stepOf(page) };
}

async function resumesAfter(page: Page, killed: number) {
  // The new worker lists the stored runs again; the offer names the newest checkpoint.
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toContainText(/stopped at step \d+ of/, { timeout: 90_000 });
  const saved = Number(/stopped at step (\d+) of/.exec((await offer.textContent())!)![1]);
  expect(saved).toBeGreaterThanOrEqual(10);
  // The step the page showed lags the worker by a readback window or two.
  expect(saved).toBeLessThanOrEqual(killed + 20);
  await expect.poll(async () => Math.max(...(await savedSteps(page)))).toBe(saved);
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await offer.getByTestId('resume-offer-accept').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await waitForStep(page, saved + 3);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-finite', 'true');
}

test('a worker that goes silent mid-run is found dead, replaced, and the run resumes from its last checkpoint', async ({ page }) => {
  const { w, killed } = await trainingWithCheckpoints(page);
  // Ends the worker without an error event; the evaluation itself may never answer.
  await Promise.race([w.evaluate(() => self.close()).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  const warnings = page.getByTestId('warnings');
  await expect(warnings).toContainText(/the training worker stopped answering for \d+ s: it ran out of memory or crashed/, {
    timeout: MIN_SILENCE_MS + 30_000,
  });
  await expect(page.getByTestId('run-state')).toHaveText('failed');
  await resumesAfter(page, killed + 1);
});

test('an error outside any call in the worker is reported at once, and the run resumes', async ({ page }) => {
  const { w, killed } = await trainingWithCheckpoints(page);
  await w.evaluate(
    () =>
      void setTimeout(() => {
        throw new Error('simulated out of memory');
      }),
  );
  await expect(page.getByTestId('warnings')).toContainText(/the training worker stopped: .*simulated out of memory.*\(out of memory\?\)/, {
    timeout: 10_000,
  });
  await expect(page.getByTestId('checkpoint-notice')).toContainText(
    'A new worker was started; the run can resume from its last checkpoint',
  );
  await resumesAfter(page, killed + 5);
});
