// Two tabs of the studio on one browser profile share IndexedDB. A run trains in one tab at a
// time (a Web Lock per run); the other tab sees the run live (BroadcastChannel), cannot resume or
// delete it while it trains, can evaluate its stored checkpoints, and takes it over once it stops.
import { expect, test, type Page } from './fixtures';
import { openWithSample, stepOf, TINY, waitForStep } from './helpers';

const savedSteps = async (page: Page) =>
  (await page.getByTestId('checkpoint').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))))).sort((a, b) => a - b);

test('a run training in one tab is listed live in another, cannot be resumed or deleted there, and can be evaluated', async ({
  page,
  context,
}) => {
  await openWithSample(page, `${TINY}&epochs=30&checkpointEvery=10&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 12);

  const other = await context.newPage();
  await openWithSample(other, `${TINY}&backend=wasm`, 'wasm');
  const run = other.getByTestId('checkpoint-run');
  await expect(run).toHaveCount(1);
  await expect(run.getByTestId('run-elsewhere')).toHaveText('training in another tab');
  await expect(other.getByTestId('resume-offer')).toHaveCount(0); // not offered: it is not interrupted
  await expect(run.getByTestId('checkpoint-resume').first()).toBeDisabled();
  await expect(run.getByRole('button', { name: 'Delete run' })).toBeDisabled();
  // New checkpoints of the first tab reach this list without a reload.
  const seen = Math.max(...(await savedSteps(other)));
  await expect.poll(async () => Math.max(...(await savedSteps(other))), { timeout: 60_000 }).toBeGreaterThan(seen);

  // Read-only use of a stored checkpoint works here while the run goes on there.
  await run.getByTestId('checkpoint-evaluate').first().click();
  await expect(other.getByTestId('eval-mode')).toContainText('stored checkpoint');
  await other.getByTestId('knn-run').click();
  await expect(other.getByTestId('knn-accuracy')).toBeVisible({ timeout: 120_000 });
  expect(await page.getByTestId('run-state').textContent()).toBe('running');

  // Stopped there, the run can be continued here.
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  const stopped = await stepOf(page);
  await expect(run.getByTestId('run-elsewhere')).toHaveCount(0);
  await expect.poll(async () => Math.max(...(await savedSteps(other)))).toBe(stopped);
  await run.getByTestId('checkpoint-resume').first().click();
  await expect(other.getByTestId('run-state')).toHaveText('running');
  await waitForStep(other, stopped + 2);
  // ... and now the first tab is the one that sees it training elsewhere.
  await expect(page.getByTestId('checkpoint-run').getByTestId('run-elsewhere')).toHaveText('training in another tab');
  await other.getByTestId('train-stop').click();
  await expect(other.getByTestId('run-state')).toHaveText('stopped');
});

test('a run deleted in one tab stays deleted in the other', async ({ page, context }) => {
  await openWithSample(page, `${TINY}&epochs=1&checkpointEvery=50&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  const other = await context.newPage();
  await other.goto(`/#backend=wasm`);
  await expect(other.getByTestId('checkpoint-run')).toHaveCount(1, { timeout: 90_000 });
  await other.getByTestId('checkpoint-run').getByRole('button', { name: 'Delete run' }).click();
  await expect(other.getByTestId('checkpoint-run')).toHaveCount(0);
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(0);
});
