// Tile on the WASM backend in place of TF.js 4.22's own, which every BatchNorm gradient calls: it
// took about 140 ms to broadcast 16 values to [64, 32, 32, 16] (Node 20, one thread), and with the
// WASM Conv2DBackpropInput and BatchMatMul 2/3 of a training step. Semantics are the CPU backend's
// Tile (tfjs-backend-cpu/src/kernels/Tile.ts); the cases it does not take go to the WASM kernel.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info, KernelArgs } from './heap';
import { originalWasmKernel } from './replace';

/**
 * Tile: out[i0, …] = x[i0 mod s0, …]. Places x's innermost rows, then doubles blocks with
 * copyWithin, dimension by dimension from the innermost out. Strings, and tiles that would take
 * more than one copy per 4 values (x with tiny innermost rows), go to the WASM kernel: a copy
 * call costs about what its C++ loop spends on one value (~0.1 µs).
 */
export function tile(args: KernelArgs<'x'>): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs;
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  const s = x.shape;
  const n = s.length;
  const outShape = s.map((d, i) => d * reps[i]);
  const size = tf.util.sizeFromShape(outShape);
  const outer = (d: number) => tf.util.sizeFromShape(s.slice(0, d)); // blocks to replicate along dim d
  let copies = n > 0 ? outer(n - 1) : 1;
  for (let d = 0; d < n; d++) copies += outer(d) * Math.ceil(Math.log2(reps[d]));
  if (x.dtype === 'string' || copies > size / 4) {
    return originalWasmKernel('Tile')(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const out = backend.makeOutput(outShape, x.dtype);
  if (size === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (n === 0) {
    dst.set(src);
    return out;
  }
  const stride = [...tf.util.computeStrides(outShape), 1]; // out's stride of each dim
  /** Where x's block at each index of its dims [0, d) starts in out (its first repetition). */
  const starts = (d: number) => {
    let bases = [0];
    for (let k = 0; k < d; k++) bases = bases.flatMap((base) => Array.from({ length: s[k] }, (_, i) => base + i * stride[k]));
    return bases;
  };
  const row = s[n - 1];
  starts(n - 1).forEach((base, r) => dst.set(src.subarray(r * row, (r + 1) * row), base));
  for (let d = n - 1; d >= 0; d--) {
    if (reps[d] === 1) continue;
    const block = s[d] * stride[d];
    const total = block * reps[d];
    for (const base of starts(d)) {
      for (let filled = block; filled < total; filled += Math.min(filled, total - filled)) {
        dst.copyWithin(base + filled, base, base + Math.min(filled, total - filled));
      }
    }
  }
  return out;
}
