// DepthwiseConv2dNativeBackpropInput on the WASM backend, which TF.js 4.22 lacks (as it lacks
// Conv2DBackpropFilter, tensorflow/tfjs#8474): MobileNetV2 trains there with it. Semantics are the
// CPU backend's kernel of the same name, dilations included
// (tfjs-backend-cpu/src/kernels/DepthwiseConv2dNativeBackpropInput.ts).
// Each tap's contribution is placed by the stride-phase split of phases.ts.
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, gatherRuns, type Info, type KernelArgs, run, view } from './heap';
import { depthwiseLayout, dyOnGrid, scatterTaps } from './phases';

/**
 * DepthwiseConv2dNativeBackpropInput: dx[b, h, w, c] = Σ over taps (i, j) and m of
 * dy[b, y, x, c·M + m] · W[i, j, c, m], where h = y·s + i·d − top and w = x·s + j·d − left.
 * dy [B, Ho, Wo, C·M], filter [kh, kw, C, M] -> inputShape [B, H, W, C]. Tap k contributes
 * dy ⊙ W[k] (summed over m), shifted into place by scatterTaps.
 */
export function depthwiseConv2dNativeBackpropInput({ inputs, backend: b, attrs }: KernelArgs<'dy' | 'filter'>): Info {
  const backend = b as BackendWasm;
  const { dy, filter } = inputs;
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const { c, C, M, g } = depthwiseLayout(a.inputShape, filter.shape, a);
  const dyg = dyOnGrid(backend, dy, g); // [K, C·M]
  const dx = scatterTaps(backend, c, g, C, (k) => {
    const wk = gatherRuns(backend, filter, [k * C * M], C * M); // [1, C·M]
    const t = run(backend, 'Multiply', { a: dyg, b: view(wk, [C * M]) }); // [K, C·M]
    free(backend, wk);
    if (M === 1) return t;
    const summed = run(backend, 'Sum', { x: view(t, [g.K, C, M]) }, { axis: [2], keepDims: false }); // [K, C]
    free(backend, t);
    return summed;
  });
  free(backend, dyg);
  return dx;
}
