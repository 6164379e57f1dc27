// The UI thread never imports TF.js: the production build's entry chunk (and every chunk it
// imports) holds no TF.js code; only the worker chunk does. The walk from the entry must reach
// every script of the build but the worker, or a chunk it missed (a lazy import() it did not
// follow, say) would go unchecked and the test pass on nothing.
import { expect, test } from './fixtures';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dist = resolve(process.env.E2E_DIST ?? 'dist'); // the build the browser tests serve (playwright.config.ts)
// Strings that only TF.js code contains: kernel names, its version banner, backend flags.
const TFJS_MARKERS = ['Conv2DBackpropFilter', 'WEBGL_VERSION', 'tfjs-core', 'BatchMatMul', 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'];

test('the main bundle holds no TF.js; the worker bundle does', () => {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
  expect(entry, 'index.html names its entry script').toBeTruthy();
  const assets = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const workers = assets.filter((f) => f.startsWith('worker'));
  expect(workers.length).toBe(1);
  // The training worker starts two kinds of helper worker by URL too, neither with TF.js: the
  // augmentation worker (workers/dataset/augment-worker.ts renders views) and the kernel pool's
  // (workers/backend/wasm/native/pool-worker.ts runs the native kernels on TF.js's memory).
  const helpers = assets.filter((f) => f.startsWith('augment-worker') || f.startsWith('pool-worker'));
  expect(helpers.length).toBe(2);
  for (const helper of helpers) {
    expect(readFileSync(join(dist, 'assets', workers[0]), 'utf8')).toContain(helper);
    const helperCode = readFileSync(join(dist, 'assets', helper), 'utf8');
    for (const marker of TFJS_MARKERS) expect(helperCode.includes(marker), `${helper} contains ${marker}`).toBe(false);
  }
  // Walk the entry's imports, static and dynamic; the worker is reached only as a URL, not an import.
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dist, 'assets', file), 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["']\.\/([^"']+\.js)["']/g)) visit(m[1]);
  };
  visit(entry!);
  expect([...seen, ...workers, ...helpers].sort(), 'the scripts reached from the entry, and the workers, are the whole build').toEqual(
    assets.sort(),
  );
  for (const file of seen) {
    expect(workers).not.toContain(file);
    const code = readFileSync(join(dist, 'assets', file), 'utf8');
    for (const marker of TFJS_MARKERS) expect(code.includes(marker), `${file} contains ${marker}`).toBe(false);
  }
  const workerCode = readFileSync(join(dist, 'assets', workers[0]), 'utf8');
  for (const marker of ['Conv2DBackpropFilter', 'BatchMatMul']) expect(workerCode).toContain(marker);
});
