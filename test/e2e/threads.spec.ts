// WASM on threads: the preview server sends COOP/COEP, so by default (wasmThreads=0) the studio
// starts TF.js's threaded build with one thread per core (workers/backend/wasm-threads.ts), the
// studio's native kernels split over those threads (workers/backend/wasm/native/pool.ts), and
// trains on it; when that build cannot start, it trains on the single-threaded build and says why.
// wasmThreads=1 asks for the single-threaded build.
import { expect, test, type Page } from './fixtures';
import { lossPoints, openWithSample, TINY, waitForStep } from './helpers';

async function trainsAFewSteps(page: Page) {
  await page.getByTestId('train-start').click();
  await waitForStep(page, 3);
  await expect.poll(() => lossPoints(page)).toBeGreaterThan(1);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-finite', 'true');
  await expect(page.locator('.warnings .error')).toHaveCount(0);
}

test('by default wasm runs on one thread per core (at most 8), its kernels split over them bit for bit', async ({ page }) => {
  // The first load must already ask for threads: WASM starts once per page.
  await openWithSample(page, `${TINY}&backend=wasm`, 'wasm');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const threads = Math.min(await page.evaluate(() => navigator.hardwareConcurrency), 8);
  const badge = page.getByTestId('backend-threads');
  await expect(badge).toHaveAttribute('data-threads', String(threads));
  await expect(badge).toHaveText(`· ${threads} ${threads === 1 ? 'thread' : 'threads'}`);
  // Every kernel case split over the pool against the calling thread alone: the same bits.
  await page.getByTestId('kernel-check-run').click();
  const verdict = page.getByTestId('kernel-check');
  await expect(verdict).toBeVisible({ timeout: 120_000 });
  await expect(verdict).toHaveAttribute('data-ok', 'true');
  if (threads > 1) {
    await expect(verdict).toHaveAttribute('data-split-threads', String(threads));
    await expect(verdict).toHaveAttribute('data-split-differ', '0');
    await expect(verdict).toContainText(`split over ${threads} threads, all`);
  }
  await trainsAFewSteps(page);
});

test('wasm falls back to one thread, and says so, when the threaded build cannot load', async ({ page }) => {
  await page.route(/tfjs-backend-wasm-threaded-simd[^/]*\.wasm$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await openWithSample(page, `${TINY}&backend=wasm`, 'wasm');
  const badge = page.getByTestId('backend-threads');
  await expect(badge).toHaveAttribute('data-threads', '1');
  await expect(badge).toContainText('threads failed to start');
  await trainsAFewSteps(page);
});

test('with wasmThreads=1 wasm runs single-threaded and the badge says it was asked for', async ({ page }) => {
  await openWithSample(page, `${TINY}&backend=wasm&wasmThreads=1`, 'wasm');
  const badge = page.getByTestId('backend-threads');
  await expect(badge).toHaveAttribute('data-threads', '1');
  await expect(badge).toContainText('wasmThreads = 1');
  await trainsAFewSteps(page);
});
