// The production build served for the browser benchmarks: `vite preview` through Vite's own API
// (https://vite.dev/guide/api-javascript#preview), in the benchmark's process, so it stops with
// the script, however the script ends. Port 0 has the system pick a free port, so benchmarks run
// side by side, or beside the browser tests (playwright.config.ts, E2E_PORT), without colliding.
import { dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview } from 'vite';

export interface Preview {
  /** The server's origin, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  stop: () => Promise<void>;
}

/**
 * Serves a build with `config` (a Vite config, relative to the repository or absolute; default: the studio's
 * vite.config.ts and its dist/) and resolves once `page` answers. With no build (or, for
 * bench/step.html, none of the benchmark page) it answers 404: better said now than as a timeout
 * in the browser.
 */
export async function startPreview(options: { config?: string; page?: string } = {}): Promise<Preview> {
  const { config = 'vite.config.ts', page = '/' } = options;
  const configFile = isAbsolute(config) ? config : fileURLToPath(new URL(`../${config}`, import.meta.url));
  const server = await preview({
    configFile,
    // An absolute config is another tree's (bench/loop.ts ref=): its own folder is the root.
    ...(isAbsolute(config) ? { root: dirname(configFile) } : {}),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const stop = () => server.close();
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') {
    await stop();
    throw new Error(`vite preview is not listening on a TCP port (${address})`);
  }
  const url = `http://127.0.0.1:${address.port}`;
  const res = await fetch(`${url}${page}`).catch((e: Error) => e);
  if (res instanceof Error || !res.ok) {
    await stop();
    const why = res instanceof Error ? res.message : `HTTP ${res.status}`;
    throw new Error(`${url}${page} answered ${why}: build first (npm run build, or npm run bench for bench/step.html)`);
  }
  return { url, stop };
}
