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
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["'`]\.\/([^"'`]+\.js)["'`]/g)) visit(m[1]);
  };
  visit(entry!);
  // The page starts one more worker by URL, without TF.js: the one that asks which WebGL the
  // browser has (workers/embed/gl-probe.ts).
  const probes = assets.filter((f) => f.startsWith('gl-probe'));
  expect(probes.length).toBe(1);
  expect([...seen].some((f) => readFileSync(join(dist, 'assets', f), 'utf8').includes(probes[0]))).toBe(true);
  for (const marker of TFJS_MARKERS) expect(readFileSync(join(dist, 'assets', probes[0]), 'utf8').includes(marker)).toBe(false);
  expect(
    [...seen, ...workers, ...helpers, ...probes].sort(),
    'the scripts reached from the entry, and the workers, are the whole build',
  ).toEqual(assets.sort());
  for (const file of seen) {
    expect(workers).not.toContain(file);
    const code = readFileSync(join(dist, 'assets', file), 'utf8');
    for (const marker of TFJS_MARKERS) expect(code.includes(marker), `${file} contains ${marker}`).toBe(false);
  }
  const workerCode = readFileSync(join(dist, 'assets', workers[0]), 'utf8');
  for (const marker of ['Conv2DBackpropFilter', 'BatchMatMul']) expect(workerCode).toContain(marker);
});

// The first screen (dataset, settings, model, Train) waits only for the entry chunk and what it
// imports statically; the charts (recharts) and the panels below come by import() once the page is
// idle (src/App.tsx). The first click on a cold load waited 2.6 s for them.
test('the first screen loads no chart or evaluation code; it comes by dynamic import', () => {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)![1];
  const first = new Set<string>();
  const dynamic = new Set<string>();
  const visit = (file: string) => {
    if (first.has(file)) return;
    first.add(file);
    const code = readFileSync(join(dist, 'assets', file), 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)) visit(m[1]);
    for (const m of code.matchAll(/import\(\s*["'`]\.\/([^"'`]+\.js)["'`]\s*\)/g)) dynamic.add(m[1]);
  };
  visit(entry);
  const bytes = [...first].reduce((a, f) => a + readFileSync(join(dist, 'assets', f)).byteLength, 0);
  console.log(`first screen: ${[...first].join(', ')} (${(bytes / 1024).toFixed(0)} kB); later: ${[...dynamic].join(', ')}`);
  for (const file of first) {
    const code = readFileSync(join(dist, 'assets', file), 'utf8');
    expect(code.includes('recharts-wrapper'), `${file} holds recharts`).toBe(false);
    expect(code.includes('embed-map-'), `${file} holds the embeddings panel`).toBe(false);
  }
  for (const name of ['Charts', 'EvalPanel', 'EmbeddingsPanel', 'InferencePanel', 'ComparePanel'])
    expect(
      [...dynamic].some((f) => f.startsWith(`${name}-`)),
      `${name} is imported later`,
    ).toBe(true);
  expect(bytes).toBeLessThan(400 * 1024);
});
