// The worker's layering, walked from the sources: every arrow points down.
//   workers/worker.ts → workers/host/ (the calls the UI makes, their shared state) → the capabilities
//   (dataset, train, eval, embed, checkpoint, model, optim, vicreg, torch, backend) → workers/contract/.
// A capability's module never imports the host, and the contract imports nothing of the worker's.
// Tests may import upwards: an integration test beside a capability drives it through the host.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const workers = join(root, 'workers');
const CAPABILITIES = ['dataset', 'train', 'eval', 'embed', 'checkpoint', 'model', 'optim', 'vicreg', 'torch', 'backend'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The relative imports of one file (static, type-only, re-exports and import() alike), as paths under workers/. */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specs.map((s) => relative(workers, resolve(dirname(file), s)));
}

/** Which layer a path under workers/ sits in. */
function layerOf(path: string): string {
  if (path === 'worker.ts' || path === 'worker') return 'entry';
  const top = path.split('/')[0];
  if (top === 'host') return 'host';
  if (top === 'contract') return 'contract';
  if (CAPABILITIES.includes(top)) return 'capability';
  return 'outside';
}

const edges = sources(workers).flatMap((file) =>
  importsOf(file, readFileSync(file, 'utf8')).map((to) => ({ from: relative(workers, file), to })),
);

describe('the worker layering', () => {
  it('reads the imports it checks', () => {
    expect(importsOf('/w/a/b.ts', "import { x } from '../host/state';\nconst m = await import('./c');")).toEqual([
      relative(workers, '/w/host/state'),
      relative(workers, '/w/a/c'),
    ]);
    // The walk found the host's imports of every capability it serves, so an empty list below means something.
    const fromHost = new Set(edges.filter((e) => layerOf(e.from) === 'host').map((e) => e.to.split('/')[0]));
    expect([...fromHost].sort()).toEqual(expect.arrayContaining(['checkpoint', 'dataset', 'eval', 'train']));
    expect(edges.length).toBeGreaterThan(300);
    // Every module sits in a layer: a new folder under workers/ must be named in CAPABILITIES above.
    const unplaced = sources(workers)
      .map((f) => relative(workers, f))
      .filter((p) => layerOf(p) === 'outside');
    expect(unplaced).toEqual([]);
  });

  it('no capability imports the host or the entry', () => {
    const up = edges.filter((e) => layerOf(e.from) === 'capability' && ['host', 'entry'].includes(layerOf(e.to)));
    expect(up.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('the contract imports nothing of the worker', () => {
    // Only its own modules and files outside workers/ (package.json for the version).
    const up = edges.filter((e) => layerOf(e.from) === 'contract' && layerOf(e.to) !== 'contract' && !e.to.startsWith('..'));
    expect(up.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('only the entry imports the host from outside it', () => {
    const into = edges.filter((e) => layerOf(e.to) === 'host' && !['host', 'entry'].includes(layerOf(e.from)));
    expect(into.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });
});
