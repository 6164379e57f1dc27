// The committed native kernels (binaries.ts, built from kernels.c by tools/build-kernels.sh): what
// each build imports and exports, and that a kernel writes its outputs and nothing else of the
// memory it shares with TF.js (no stack, no data of its own).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { relaxed, relaxedShared, simd, simdShared } from './binaries';

setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20; on by default from Node 22

const decode = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const BUILDS = { simd, relaxed, simdShared, relaxedShared };
const KERNELS = [
  'conv2d',
  'conv2d_filter_grad',
  'bn_stats',
  'bn_relu_forward',
  'bn_relu_backward_sums',
  'bn_relu_backward_dx',
  'sgd_step',
  'gemm',
];

/** The ids of a module's sections, in order (WebAssembly binary format §5.5.2). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8;
  const leb = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (i < bytes.length) {
    ids.push(bytes[i++]);
    const size = leb();
    i += size;
  }
  return ids;
}

describe('the native kernels as committed', () => {
  for (const [name, b64] of Object.entries(BUILDS)) {
    it(`${name}: imports only env.memory, exports the kernels, has no data, start or memory of its own`, () => {
      const bytes = decode(b64);
      const module = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(
        WebAssembly.Module.exports(module)
          .filter((e) => e.kind === 'function')
          .map((e) => e.name)
          .sort(),
      ).toEqual([...KERNELS].sort());
      const ids = sectionIds(bytes);
      for (const forbidden of [5 /* memory */, 8 /* start */, 11 /* data */, 12 /* data count */]) expect(ids).not.toContain(forbidden);
    });
  }

  for (const name of ['simd', 'relaxed'] as const) {
    it(`${name}: every kernel writes its outputs and not one other byte of the memory`, () => {
      const memory = new WebAssembly.Memory({ initial: 64 });
      const k = new WebAssembly.Instance(new WebAssembly.Module(decode(BUILDS[name])), { env: { memory } }).exports as Record<
        string,
        (...a: number[]) => void
      >;
      const f32 = new Float32Array(memory.buffer);
      // Regions (in floats) well inside the memory, the rest a sentinel.
      let at = 1 << 16;
      const region = (n: number, fill?: (i: number) => number) => {
        const start = at;
        at += n + 64;
        if (fill) for (let i = 0; i < n; i++) f32[start + i] = fill(i);
        return { start, n, byte: start * 4 };
      };
      f32.fill(12345.5);
      const [B, H, W, Ci, Co] = [2, 6, 5, 3, 12];
      const x = region(B * H * W * Ci, (i) => Math.sin(i));
      const w = region(9 * Ci * Co, (i) => Math.cos(i));
      const zeros = region(Ci, () => 0);
      const y = region(B * 3 * 3 * Co);
      const dw = region(9 * Ci * Co);
      const N = 50;
      const C = 6;
      const bx = region(N * C, (i) => Math.sin(i * 0.7));
      const stats = region(3 * C);
      const params = region(2 * C, () => 1);
      const by = region(N * C);
      const dbg = region(2 * C);
      const bdx = region(N * C);
      const scratch = region(4 * C); // 2·C float64
      const outputs = [y, dw, stats, by, dbg, bdx, scratch];
      const before = f32.slice();
      k.conv2d(x.byte, w.byte, y.byte, zeros.byte, B, H, W, Ci, 3, 3, Co, 3, 3, 2, 2, 1, 1, 0, Math.ceil((B * 9) / 4));
      k.conv2d_filter_grad(x.byte, y.byte, dw.byte, B, H, W, Ci, 3, 3, Co, 3, 3, 2, 2, 1, 1, 0, 9);
      const [mean, variance, invStd] = [0, 1, 2].map((j) => stats.byte + 4 * j * C);
      k.bn_stats(bx.byte, N, C, 1e-5, mean, variance, invStd, scratch.byte, 0, 2);
      k.bn_relu_forward(bx.byte, N, C, mean, invStd, params.byte, params.byte + 4 * C, by.byte, 1, 0, N);
      k.bn_relu_backward_sums(bx.byte, by.byte, bx.byte, N, C, mean, invStd, dbg.byte, dbg.byte + 4 * C, 1, scratch.byte, 0, 2);
      k.bn_relu_backward_dx(bx.byte, by.byte, bx.byte, N, C, mean, invStd, params.byte, dbg.byte, dbg.byte + 4 * C, bdx.byte, 1, 0, N);
      const inside = (i: number) => outputs.some((r) => i >= r.start && i < r.start + r.n);
      let changedOutside = 0;
      for (let i = 0; i < f32.length; i++) if (!inside(i) && !Object.is(f32[i], before[i])) changedOutside++;
      expect(changedOutside).toBe(0);
      for (const r of [y, dw, by, bdx])
        expect(f32.subarray(r.start, r.start + r.n).every((v) => Number.isFinite(v) && v !== 12345.5)).toBe(true);
    });
  }
});
