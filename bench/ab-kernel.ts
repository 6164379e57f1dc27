// Interleaved A/B of one WASM kernel inside whole training steps (Node, one thread): the kernel
// modules of an older git revision against the working tree's, alternating every two steps, so the
// machine's drift (±10% between runs on a shared 2-core VM) hits both alike. Separate runs of
// bench/profile-step.ts could not tell an 8% change from noise here; this could.
//   npx tsx bench/ab-kernel.ts <revision> [kernel=Conv2DBackpropFilter] [config hash=preset=quick-cpu] [rounds=8]
//   npx tsx bench/ab-kernel.ts HEAD~3 Conv2DBackpropFilter "preset=quick-cpu"
// The revision's workers/ is extracted (git archive) into a temporary directory outside the
// repository, with a node_modules link to the repository's: its relative imports reach its own
// files, its package imports the very modules the working tree uses (one TF.js, one kernel
// registry), and nothing is written into the type-checked tree.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_CONFIG } from '../workers/contract/config';
import { configFromHash } from '../workers/contract/url';
import { buildModel } from '../workers/model/model';
import { makeOptimizer } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';

/** Where the module that registers the studio's WASM kernels has lived: one file, then a folder of kernels. */
const REGISTER_MODULES = ['workers/backend/wasm/register.ts', 'workers/backend/wasm-grads.ts'];
const repo = fileURLToPath(new URL('..', import.meta.url));

function git(args: string[]): Buffer {
  const p = spawnSync('git', args, { cwd: repo, maxBuffer: 1 << 30 });
  if (p.status !== 0) throw new Error(`git ${args.join(' ')}: ${p.stderr.toString().trim()}`);
  return p.stdout;
}

/** The kernel-registering function of the first of REGISTER_MODULES found under `root`. */
async function registrar(root: string, label: string): Promise<() => void> {
  const path = REGISTER_MODULES.find((p) => existsSync(join(root, p)));
  if (!path) throw new Error(`${label} has none of ${REGISTER_MODULES.join(', ')}`);
  const mod = (await import(pathToFileURL(join(root, path)).href)) as Record<string, unknown>;
  // registerWasmGradKernels so far; a renamed one is taken where it is the only register…Kernels.
  const names = Object.keys(mod).filter((k) => /^register\w*Kernels$/.test(k) && typeof mod[k] === 'function');
  const name = names.includes('registerWasmGradKernels') ? 'registerWasmGradKernels' : names.length === 1 ? names[0] : undefined;
  if (!name) throw new Error(`${label}'s ${path} exports no single register…Kernels function (${names.join(', ') || 'none'})`);
  return mod[name] as () => void;
}

const [rev, name = 'Conv2DBackpropFilter', hash = 'preset=quick-cpu', rounds = '8'] = process.argv.slice(2);
if (!rev) throw new Error('usage: npx tsx bench/ab-kernel.ts <git revision> [kernel] [config hash] [rounds]');
const commit = String(git(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
// Once imported, the revision's modules are in memory: the directory goes at once, not at exit
// (TF.js's WASM glue rethrows uncaught errors from its own handler, and Node then skips 'exit').
const dir = mkdtempSync(join(tmpdir(), 'ab-kernel-'));
let registerOld: () => void;
try {
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: git(['archive', commit, 'workers']) });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr.toString().trim()}`);
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  registerOld = await registrar(dir, `${rev} (${commit.slice(0, 10)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const registerNew = await registrar(repo, 'the working tree');

// The old modules register first; their kernel is kept, then the current ones replace it (a kernel
// TF.js lacks is only registered where none is, so that one is unregistered first). The other
// kernels end up the same in both arms, so only `name` differs between them.
registerOld();
await tf.setBackend('wasm');
registerOld();
const oldKernel = tf.getKernel(name, 'wasm');
if (!oldKernel) throw new Error(`${rev} registers no ${name} on wasm`);
registerNew();
if (tf.getKernel(name, 'wasm')?.kernelFunc === oldKernel.kernelFunc) {
  tf.unregisterKernel(name, 'wasm');
  registerNew();
}
const kernels = { old: oldKernel, new: tf.getKernel(name, 'wasm')! };
if (!kernels.new || kernels.old.kernelFunc === kernels.new.kernelFunc) throw new Error(`the current modules register no other ${name}`);
const use = (k: tf.KernelConfig) => {
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...k, setupFunc: undefined }); // the backend is set up already
};

const { config: c } = configFromHash(hash, DEFAULT_CONFIG);
const model = buildModel(c);
const ctx = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null } };
const x1 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const x2 = tf.randomNormal([c.batchSize, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const step = async (i: number) => {
  const t0 = performance.now();
  const row = tf.tidy(() => trainStep(ctx, x1, x2, i, 0.01).row);
  await row.data();
  row.dispose();
  return performance.now() - t0;
};
const times: Record<'old' | 'new', number[]> = { old: [], new: [] };
for (let r = 0; r < Number(rounds); r++) {
  for (const label of ['old', 'new'] as const) {
    use(kernels[label]);
    await step(0); // one untimed step after each switch
    times[label].push(await step(1), await step(2));
  }
}
console.log(
  `${name}, ${c.backbone} width ${c.width}, ${c.imageSize} px, batch ${c.batchSize}: whole training steps, ${rounds} interleaved rounds`,
);
for (const label of ['old', 'new'] as const) {
  const t = times[label].sort((a, b) => a - b);
  console.log(`${label}: min ${t[0].toFixed(0)} ms, median ${t[t.length >> 1].toFixed(0)} ms`);
}
