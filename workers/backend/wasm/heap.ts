// What the studio's WASM kernels share: calling the backend's other kernels from inside a kernel,
// and moving values on its heap. The arithmetic stays in WASM kernels (XNNPACK matmul and conv,
// Multiply, Sum, AddN) and the data movement in PadV2 and Transpose; JS only copies contiguous runs
// of values, as TF.js's own WASM Slice and Concat kernels do (tfjs-backend-wasm/src/kernels/Slice.ts,
// Concat.ts). Every output here belongs to the backend: the caller releases it with `free`.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type ConvInfo = tf.backend_util.Conv2DInfo;
export type KernelArgs<I extends string> = { inputs: Record<I, Info>; backend: unknown; attrs?: tf.NamedAttrMap };

/** Calls another WASM kernel directly; its output belongs to the backend (release with `free`). */
export function run(backend: BackendWasm, name: string, inputs: Record<string, Info> | Info[], attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

export function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** The same data under another shape, without a refcount: valid while `t` lives, never freed itself. */
export const view = (t: Info, shape: number[]): Info => ({ dataId: t.dataId, shape, dtype: t.dtype });

/** out[r, :] = flat(t)[starts[r] : starts[r] + n]: one memcpy per row. out is [starts.length, n]. */
export function gatherRuns(backend: BackendWasm, t: Info, starts: number[], n: number): Info {
  const out = backend.makeOutput([starts.length, n], 'float32');
  // Views are taken after makeOutput: an allocation may grow the heap and detach older views.
  const src = backend.typedArrayFromHeap(t) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  starts.forEach((s, r) => dst.set(src.subarray(s, s + n), r * n));
  return out;
}

/**
 * out[b, r, c, :] = x[b + b0, r + r0, c + c0, :] inside x and 0 outside; out is [bs, hs, ws, C]
 * (past B: zero images). One PadV2, after a row-wise copy when x must also be cropped.
 */
export function windowOf(backend: BackendWasm, x: Info, bs: number, r0: number, hs: number, c0: number, ws: number, b0 = 0): Info {
  const [B, H, W, C] = x.shape;
  const keep = (start: number, size: number, n: number) => {
    const lo = Math.min(Math.max(0, -start), size);
    return { lo, hi: Math.max(lo, Math.min(size, n - start)) };
  };
  const b = keep(b0, bs, B);
  const r = keep(r0, hs, H);
  const c = keep(c0, ws, W);
  if (b.hi === b.lo || r.hi === r.lo || c.hi === c.lo) {
    return run(backend, 'Fill', [], { shape: [bs, hs, ws, C], value: 0, dtype: 'float32' });
  }
  const cropped = b.hi - b.lo < B || r.hi - r.lo < H || c.hi - c.lo < W;
  let src = x;
  if (cropped) {
    const starts: number[] = [];
    for (let bi = b.lo; bi < b.hi; bi++) {
      for (let ri = r.lo; ri < r.hi; ri++) starts.push((((bi + b0) * H + ri + r0) * W + c.lo + c0) * C);
    }
    src = view(gatherRuns(backend, x, starts, (c.hi - c.lo) * C), [b.hi - b.lo, r.hi - r.lo, c.hi - c.lo, C]);
  }
  const paddings = [
    [b.lo, bs - b.hi],
    [r.lo, hs - r.hi],
    [c.lo, ws - c.hi],
    [0, 0],
  ];
  if (paddings.every(([lo, hi]) => lo === 0 && hi === 0)) return cropped ? src : run(backend, 'Identity', { x });
  const out = run(backend, 'PadV2', { x: src }, { paddings, constantValue: 0 });
  if (cropped) free(backend, src);
  return out;
}

/** [B, C, H, W] -> [B, H, W, C], for the conv gradients' NCHW inputs. */
export const toNHWC = (backend: BackendWasm, t: Info) => run(backend, 'Transpose', { x: t }, { perm: [0, 2, 3, 1] });
