// DepthwiseConv2dNativeBackpropFilter on the WASM backend, which TF.js 4.22 lacks (as it lacks
// Conv2DBackpropFilter, tensorflow/tfjs#8474): MobileNetV2 trains there with it. Semantics are the
// CPU backend's kernel of the same name, dilations included
// (tfjs-backend-cpu/src/kernels/DepthwiseConv2dNativeBackpropFilter.ts).
// Each tap's window is a contiguous run thanks to the stride-phase split of phases.ts.
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, gatherRuns, type Info, type KernelArgs, run, view } from './heap';
import { depthwiseLayout, dyOnGrid, toPhasesT, windowStart } from './phases';

/**
 * DepthwiseConv2dNativeBackpropFilter, with M the channel multiplier:
 * dW[i, j, c, m] = Σ_{b,y,x} x'[b, y·s + i·d, x·s + j·d, c] · dy[b, y, x, c·M + m].
 * x [B, H, W, C], dy [B, Ho, Wo, C·M] -> filterShape [kh, kw, C, M]. Per tap, channel-major: the
 * window [C, K] times dyᵀ [C, M, K], summed over the innermost axis (no transpose inside Sum).
 */
export function depthwiseConv2dNativeBackpropFilter({ inputs, backend: b, attrs }: KernelArgs<'x' | 'dy'>): Info {
  const backend = b as BackendWasm;
  const { x, dy } = inputs;
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const { c, C, M, g } = depthwiseLayout(x.shape, a.filterShape, a);
  const xT = toPhasesT(backend, x, c, g);
  const dyg = dyOnGrid(backend, dy, g);
  const dyT = run(backend, 'Transpose', { x: dyg }, { perm: [1, 0] }); // [C·M, K]
  free(backend, dyg);
  const perTap = g.taps.map((_, k) => {
    const win = gatherRuns(
      backend,
      xT,
      Array.from({ length: C }, (_, ci) => windowStart(g, C, k, ci)),
      g.K,
    ); // [C, K]
    const prod = run(backend, 'Multiply', { a: view(win, [C, 1, g.K]), b: view(dyT, [C, M, g.K]) }); // [C, M, K]
    const sums = run(backend, 'Sum', { x: prod }, { axis: [2], keepDims: false }); // [C, M]
    free(backend, win, prod);
    return view(sums, [1, C * M]);
  });
  free(backend, xT, dyT);
  const out = run(backend, 'Concat', perTap, { axis: 0 }); // [taps, C·M]
  free(backend, ...perTap);
  return view(out, [...a.filterShape]);
}
