// The kernel pool (pool.ts) with real threads: Node workers serve the shared-memory build of the
// kernels on one WebAssembly.Memory, and every split call must write the same bits as the whole
// call on one thread, at the model's own layer shapes.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simdShared } from './binaries';
import { KernelPool, type KernelTable, type ParallelKernel, partRange, poolOptions } from './pool';

const decode = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

// A helper as pool-worker.ts, on worker_threads, running pool.ts compiled to JavaScript (it
// imports nothing).
const HELPER = `
const { workerData } = require('node:worker_threads');
import(workerData.pool).then(({ serve }) => {
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
  serve(workerData.control, instance.exports);
});`;

describe('partRange', () => {
  it('cuts units into parts that cover each unit once, in order, sizes within one', () => {
    for (const units of [1, 2, 7, 64, 1000, 131072])
      for (const parts of [1, 2, 3, 8, 13]) {
        if (parts > units) continue;
        let next = 0;
        const sizes: number[] = [];
        for (let i = 0; i < parts; i++) {
          const [u0, u1] = partRange(i, parts, units);
          expect(u0).toBe(next);
          sizes.push(u1 - u0);
          next = u1;
        }
        expect(next).toBe(units);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
  });
});

describe('the kernel pool on worker threads', () => {
  const module = new WebAssembly.Module(decode(simdShared));
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 4096, shared: true });
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelTable;
  const pool = new KernelPool(3);
  const workers: Worker[] = [];
  const saved = { ...poolOptions };

  let poolJs = '';

  beforeAll(async () => {
    poolOptions.minWork = 0;
    const source = readFileSync(new URL('./pool.ts', import.meta.url), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const file = join(tmpdir(), `kernel-pool-${process.pid}.mjs`);
    writeFileSync(file, js.outputText);
    poolJs = pathToFileURL(file).href;
    for (let i = 0; i < pool.helpers; i++)
      workers.push(
        new Worker(HELPER, {
          eval: true,
          workerData: { pool: poolJs, module, memory, control: pool.control },
        }),
      );
    const t0 = Date.now();
    while (pool.ready < pool.helpers && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    expect(pool.ready).toBe(pool.helpers);
  }, 40_000);

  afterAll(async () => {
    Object.assign(poolOptions, saved);
    await Promise.all(workers.map((w) => w.terminate()));
  });

  const f32 = () => new Float32Array(memory.buffer);
  let at = 1 << 12; // floats
  const region = (n: number, fill?: (i: number) => number) => {
    const start = at;
    at += n + 16 - (n % 4);
    if (fill)
      f32().set(
        Float32Array.from({ length: n }, (_, i) => fill(i)),
        start,
      );
    return { start, n, byte: start * 4, values: () => f32().slice(start, start + n) };
  };

  /** The whole call on this thread, then split over four threads; outputs must match bit for bit. */
  type Region = ReturnType<typeof region>;
  function same(kernel: ParallelKernel, units: number, args: number[], outputs: Region[]) {
    poolOptions.off = true;
    pool.run(kernels, kernel, units, Number.POSITIVE_INFINITY, args);
    const whole = outputs.map((o) => new Uint32Array(o.values().buffer));
    poolOptions.off = false;
    for (const o of outputs) f32().fill(Number.NaN, o.start, o.start + o.n);
    pool.run(kernels, kernel, units, Number.POSITIVE_INFINITY, args);
    const split = outputs.map((o) => new Uint32Array(o.values().buffer));
    for (let i = 0; i < outputs.length; i++) {
      expect(split[i].length).toBe(whole[i].length);
      let differ = 0;
      for (let j = 0; j < whole[i].length; j++) if (split[i][j] !== whole[i][j]) differ++;
      expect(differ).toBe(0);
      expect(Float32Array.from(new Float32Array(whole[i].buffer)).every(Number.isFinite)).toBe(true);
    }
  }

  // The small CNN's layers at batch 16: the 3-channel stem, 3×3 stride 1 and 2, a channel tail.
  const CONVS = [
    { B: 16, H: 32, W: 32, Ci: 3, Co: 32, k: 3, s: 1, p: 1 },
    { B: 16, H: 16, W: 16, Ci: 32, Co: 64, k: 3, s: 2, p: 1 },
    { B: 16, H: 8, W: 8, Ci: 64, Co: 64, k: 3, s: 1, p: 1 },
    { B: 5, H: 9, W: 7, Ci: 6, Co: 10, k: 3, s: 2, p: 0 },
  ];
  for (const { B, H, W, Ci, Co, k, s, p } of CONVS) {
    const Ho = Math.floor((H + 2 * p - k) / s) + 1;
    const Wo = Math.floor((W + 2 * p - k) / s) + 1;
    it(`conv2d and its filter gradient, ${B}×${H}×${W}×${Ci} → ${Co}, ${k}×${k} stride ${s}`, () => {
      const x = region(B * H * W * Ci, (i) => Math.sin(i * 0.37));
      const w = region(k * k * Ci * Co, (i) => Math.cos(i * 0.11));
      const zeros = region(Math.max(4, Ci), () => 0);
      const y = region(B * Ho * Wo * Co);
      const dw = region(k * k * Ci * Co);
      const geometry = [B, H, W, Ci, Ho, Wo, Co, k, k, s, s, p, p];
      same('conv2d', Math.ceil((B * Ho * Wo) / 4), [x.byte, w.byte, y.byte, zeros.byte, ...geometry], [y]);
      same('conv2d_filter_grad', k * k * Math.ceil(Ci / 4), [x.byte, y.byte, dw.byte, ...geometry], [dw]);
    });
  }

  it('gemm: a batch of products with a bias, rows not a multiple of 4', () => {
    const [batch, M, N, K] = [3, 37, 40, 29];
    const a = region(batch * M * K, (i) => Math.sin(i));
    const b = region(batch * K * N, (i) => Math.cos(i));
    const bias = region(N, (i) => i / 7);
    const c = region(batch * M * N);
    same('gemm', batch * Math.ceil(M / 4), [a.byte, b.byte, c.byte, bias.byte, batch, M, N, K, K, 1, M * K, K * N], [c]);
  });

  it('BatchNorm + ReLU forward and backward, channels not a multiple of 4', () => {
    const [N, C] = [1000, 22];
    const x = region(N * C, (i) => Math.sin(i * 0.3) * 2 + 0.1);
    const dy = region(N * C, (i) => Math.cos(i * 0.7));
    const stats = region(3 * C);
    const params = region(2 * C, (i) => 1 + i / 50);
    const y = region(N * C);
    const grads = region(2 * C);
    const dx = region(N * C);
    const scratch = region(4 * C);
    const [mean, variance, invStd] = [0, 1, 2].map((j) => stats.byte + 4 * j * C);
    const blocks = Math.ceil(C / 4);
    same('bn_stats', blocks, [x.byte, N, C, 1e-5, mean, variance, invStd, scratch.byte], [stats]);
    same('bn_relu_forward', N, [x.byte, N, C, mean, invStd, params.byte, params.byte + 4 * C, y.byte, 1], [y]);
    const [dBeta, dGamma] = [grads.byte, grads.byte + 4 * C];
    same('bn_relu_backward_sums', blocks, [dy.byte, y.byte, x.byte, N, C, mean, invStd, dBeta, dGamma, 1, scratch.byte], [grads]);
    same('bn_relu_backward_dx', N, [dy.byte, y.byte, x.byte, N, C, mean, invStd, params.byte, dBeta, dGamma, dx.byte, 1], [dx]);
  });

  it('helpers take parts: over many calls the caller ran fewer than all the units', () => {
    // The caller counts the units it ran itself: fewer than all means the helpers ran the rest.
    const [N, C] = [4096, 64];
    const x = region(N * C, (i) => (i % 13) - 6);
    const y = region(N * C);
    const stats = region(3 * C, (i) => (i < 2 * C ? 0 : 1));
    const params = region(2 * C, () => 1);
    let mine = 0;
    let all = 0;
    const counting = {
      ...kernels,
      bn_relu_forward: (...a: number[]) => {
        mine += a[a.length - 1] - a[a.length - 2];
        kernels.bn_relu_forward(...a);
      },
    };
    for (let i = 0; i < 50; i++) {
      pool.run(counting, 'bn_relu_forward', N, Number.POSITIVE_INFINITY, [
        x.byte,
        N,
        C,
        stats.byte,
        stats.byte + 8 * C,
        params.byte,
        params.byte + 4 * C,
        y.byte,
        1,
      ]);
      all += N;
    }
    expect(mine).toBeLessThan(all);
    expect(y.values().every((v) => v >= 0)).toBe(true);
  });
});
