// BatchMatMul and _FusedMatMul on the WASM backend in place of TF.js 4.22's own. Semantics are the
// CPU backend's (tfjs-backend-cpu/src/kernels/BatchMatMul.ts, _FusedMatMul.ts).
//  - Products whose B fits the cache (K·N ≤ NATIVE_MAX_VALUES) run as the native kernel
//    (native/kernels.c gemm): XNNPACK packs B at every call, and at the projector's sizes that
//    packing was most of its time. A transposed A is read in place; a transposed B is transposed
//    once into [K, N].
//  - The rest go to XNNPACK. TF.js's WASM kernel leaves XNNPACK whenever an operand is transposed
//    (tfjs-backend-wasm/src/kernels/BatchMatMul.ts) for a scalar C++ loop (about 1.4 GFLOP/s
//    against 15); every matmul gradient, the covariance zᵀz and a ViT's attention scores q·kᵀ have
//    one, so those are transposed first (a rank-3 Transpose, far faster).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, type Info, type KernelArgs, run, view } from './heap';
import { nativeKernels, offsetOf } from './native/module';
import { originalWasmKernel } from './replace';

/** Largest B (K·N values) the native product takes: 1 MiB, about a core's L2 cache. */
export const NATIVE_MAX_VALUES = 1 << 18;

/** [batch, r, c] -> [batch, c, r], whatever the batch dims. */
function flip(backend: BackendWasm, t: Info): Info {
  const [r, c] = t.shape.slice(-2);
  const batch = tf.util.sizeFromShape(t.shape.slice(0, -2));
  const out = run(backend, 'Transpose', { x: view(t, [batch, r, c]) }, { perm: [0, 2, 1] });
  return view(out, [...t.shape.slice(0, -2), c, r]);
}

/**
 * op(a) · op(b) (+ bias [N]) as the native kernel, or null when it does not take the case: another
 * dtype, a batch broadcast other than one side's single matrix, a bias of another shape, a B too
 * large for the cache, or no native kernels.
 */
function nativeMatMul(backend: BackendWasm, a: Info, b: Info, transposeA: boolean, transposeB: boolean, bias?: Info): Info | null {
  const native = nativeKernels(backend);
  if (!native || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, K] = transposeA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transposeB ? [bc, br] : [br, bc];
  if (K !== Kb || K * N > NATIVE_MAX_VALUES) return null;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== N)) return null;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const batchShape = (batchA >= batchB ? a : b).shape.slice(0, -2);
  const out = backend.makeOutput([...batchShape, M, N], 'float32');
  const batch = Math.max(batchA, batchB);
  if (batch * M * N === 0) return out;
  if (K === 0) {
    (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
    return out;
  }
  const bt = transposeB ? flip(backend, b) : b; // [.., K, N]
  const [sam, sak] = transposeA ? [1, M] : [K, 1];
  native.run(
    'gemm',
    batch * Math.ceil(M / 4),
    batch * M * N * K,
    offsetOf(backend, a),
    offsetOf(backend, bt),
    offsetOf(backend, out),
    bias ? offsetOf(backend, bias) : 0,
    batch,
    M,
    N,
    K,
    sam,
    sak,
    batchA === 1 ? 0 : M * K,
    batchB === 1 ? 0 : K * N,
  );
  if (bt !== b) free(backend, bt);
  return out;
}

export function batchMatMul(args: KernelArgs<'a' | 'b'>): Info {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const native = nativeMatMul(backend, a, b, transposeA, transposeB);
  if (native) return native;
  const fast = originalWasmKernel('BatchMatMul') as unknown as (args: KernelArgs<'a' | 'b'>) => Info;
  if (!(transposeA || transposeB)) return fast(args);
  const at = transposeA ? flip(backend, a) : a;
  const bt = transposeB ? flip(backend, b) : b;
  const out = fast({ ...args, inputs: { a: at, b: bt }, attrs: { transposeA: false, transposeB: false } });
  if (transposeA) free(backend, at);
  if (transposeB) free(backend, bt);
  return out;
}

/** _FusedMatMul (a dense layer: a · b + bias) without an activation, natively; the rest as TF.js does. */
export function fusedMatMul(args: KernelArgs<'a' | 'b' | 'bias' | 'preluActivationWeights'>): Info {
  const backend = args.backend as BackendWasm;
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
  const linear = (activation === undefined || activation === 'linear') && !preluActivationWeights;
  const native = linear ? nativeMatMul(backend, a, b, transposeA, transposeB, bias) : null;
  if (native) return native;
  // TF.js's own gives wrong values with both operands transposed (and fails with an activation
  // then): it gets its operands untransposed.
  const original = originalWasmKernel('_FusedMatMul') as unknown as (
    args: KernelArgs<'a' | 'b' | 'bias' | 'preluActivationWeights'>,
  ) => Info;
  if (!(transposeA || transposeB)) return original(args);
  const at = transposeA ? flip(backend, a) : a;
  const bt = transposeB ? flip(backend, b) : b;
  const out = original({
    ...args,
    inputs: { ...args.inputs, a: at, b: bt },
    attrs: { ...args.attrs, transposeA: false, transposeB: false },
  });
  if (transposeA) free(backend, at);
  if (transposeB) free(backend, bt);
  return out;
}
