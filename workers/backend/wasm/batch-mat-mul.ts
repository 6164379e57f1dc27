// BatchMatMul on the WASM backend in place of TF.js 4.22's own, which leaves XNNPACK whenever an
// operand is transposed (tfjs-backend-wasm/src/kernels/BatchMatMul.ts). Semantics are the CPU
// backend's BatchMatMul (tfjs-backend-cpu/src/kernels/BatchMatMul.ts).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, type Info, type KernelArgs, run, view } from './heap';
import { originalWasmKernel } from './replace';

/**
 * BatchMatMul with transposeA or transposeB: the WASM kernel sends these to a scalar C++ loop
 * (about 1.4 GFLOP/s against 15 for its XNNPACK path, which takes no transposes); every matmul
 * gradient, the covariance zᵀz and a ViT's attention scores q·kᵀ have one. Transposing first
 * (a rank-3 Transpose, [batch, r, c] -> [batch, c, r], whatever the batch dims) is far faster.
 */
export function batchMatMul(args: KernelArgs<'a' | 'b'>): Info {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const fast = originalWasmKernel('BatchMatMul') as unknown as (args: KernelArgs<'a' | 'b'>) => Info;
  if (!(transposeA || transposeB)) return fast(args);
  const flip = (t: Info) => {
    const [r, c] = t.shape.slice(-2);
    const batch = tf.util.sizeFromShape(t.shape.slice(0, -2));
    const out = run(backend, 'Transpose', { x: view(t, [batch, r, c]) }, { perm: [0, 2, 1] }); // [batch, c, r]
    return view(out, [...t.shape.slice(0, -2), c, r]);
  };
  const at = transposeA ? flip(a) : a;
  const bt = transposeB ? flip(b) : b;
  const out = fast({ ...args, inputs: { a: at, b: bt }, attrs: { transposeA: false, transposeB: false } });
  if (transposeA) free(backend, at);
  if (transposeB) free(backend, bt);
  return out;
}
