// `npm start` on a fresh clone: Vite's dev server pre-bundles the dependencies it finds from the
// entries it scans. Dependencies first met when the training worker loads used to be optimized
// then, and the page reloaded itself ("optimized dependencies changed. reloading"), losing a click
// made before it. Here the dev server starts from an empty optimizer cache (its own cacheDir),
// the sample is clicked as soon as it can be, and the page must never reload.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const PORT = Number(process.env.E2E_DEV_PORT ?? 5199);

async function startDevServer(cacheDir: string): Promise<{ server: ChildProcess; log: () => string }> {
  let out = '';
  const server = spawn('npx', ['vite', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
    env: { ...process.env, VITE_CACHE_DIR: cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  const t0 = Date.now();
  while (!/Local/.test(out)) {
    if (server.exitCode !== null) throw new Error(`vite exited: ${out}`);
    if (Date.now() - t0 > 60_000) {
      stop(server);
      throw new Error(`vite did not start in 60 s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { server, log: () => out };
}

function stop(server: ChildProcess) {
  try {
    process.kill(-server.pid!, 'SIGTERM'); // npx and the vite it started
  } catch {}
}

test('the dev server from an empty dependency cache: the first load is the only load, and the first click counts', async ({ page }) => {
  test.setTimeout(240_000);
  const cacheDir = mkdtempSync(join(tmpdir(), 'vite-cache-'));
  const { server, log } = await startDevServer(cacheDir);
  try {
    let loads = 0;
    page.on('load', () => loads++);
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.getByTestId('sample-dataset').click({ timeout: 120_000 });
    await expect(page.getByTestId('dataset-summary')).toContainText('2000 images', { timeout: 120_000 });
    // The sample is loaded by the worker: all it imports has been served. A reload would come
    // within a moment of the optimizer finishing.
    await page.waitForTimeout(5000);
    console.log(`page loads: ${loads}; vite said: ${log().match(/new dependencies optimized[^\n]*/)?.[0] ?? 'no new dependencies'}`);
    expect(messages.filter((m) => /optimized dependencies changed|reloading/i.test(m))).toEqual([]);
    expect(loads).toBe(1);
    await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  } finally {
    stop(server);
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
