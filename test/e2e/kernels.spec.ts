// "Check kernels" on each backend that trains with kernels of ours (WASM: workers/backend/wasm/;
// WebGPU: webgpu-grads.ts) or with TF.js's own (WebGL): every gradient case
// matches TF.js's CPU backend in this browser, and the badge says so with the worst error.
import { expect, test } from './fixtures';

for (const backend of ['webgpu', 'wasm', 'webgl'] as const) {
  test(`the gradient kernels on ${backend} match the CPU reference in the browser`, async ({ page }) => {
    page.on('pageerror', (e) => console.log(`[${backend}] page error:`, e.message));
    await page.goto(`/#backend=${backend}`);
    await expect(page.getByTestId('backend')).toHaveText(backend, { timeout: 90_000 });
    await page.getByTestId('kernel-check-run').click();
    const verdict = page.getByTestId('kernel-check');
    await expect(verdict).toBeVisible({ timeout: 120_000 });
    await expect(verdict).toContainText(`kernel cases on ${backend} match the CPU reference`);
    await expect(verdict).toHaveAttribute('data-ok', 'true');
    expect(Number(await verdict.getAttribute('data-worst'))).toBeLessThan(1e-4);
  });
}
