// The stride-phase split of the depthwise gradient kernels (depthwise-conv2d-backprop-filter.ts,
// depthwise-conv2d-backprop-input.ts): every filter tap reads contiguous runs once the padded input
// is split into stride phases. With x' the padded input, s the stride and d the dilation,
//   x'[b, y·s + i·d, x·s + j·d] = phase(i·d mod s, j·d mod s)[b, y + ⌊i·d/s⌋, x + ⌊j·d/s⌋].
// Each phase is flattened to [B, Hq, Wq] (phaseLayout), where "+ (q, p)" is "+ q·Wq + p", and dy,
// padded with zeros to the same grid, cancels the positions that wrap into the next image row.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type ConvInfo, free, type Info, run, view, windowOf } from './heap';

type Shape4 = [number, number, number, number];
type DepthwiseAttrs = Pick<tf.DepthwiseConv2dNativeBackpropFilterAttrs, 'strides' | 'dilations' | 'pad' | 'dimRoundingMode'>;

/**
 * The depthwise convolution's geometry for x [B, H, W, C] and filter [kh, kw, C, M], as both of its
 * gradient kernels take it: the conv's info, C, M and the phase split (phaseLayout).
 */
export function depthwiseLayout(xShape: number[], filterShape: number[], a: DepthwiseAttrs) {
  const { strides, dilations, pad, dimRoundingMode } = a;
  const c = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, strides, dilations, pad, dimRoundingMode, true);
  const C = c.inChannels;
  return { c, C, M: c.outChannels / C, g: phaseLayout(c) };
}

/**
 * Geometry of the phase split (pure). Phase (rh, rw) holds the padded rows ≡ rh (mod sh) and
 * columns ≡ rw (mod sw) as [Bx, Hq, Wq], flattened to L positions; tap (i, j) reads the K
 * positions from `offset` of phase `rh·sw + rw`. Bx = B + 1 when some tap has an offset: the
 * extra zero image keeps every window inside its phase.
 */
export function phaseLayout(c: ConvInfo) {
  const { batchSize: B, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = c;
  const { dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw } = c;
  const Hq = Ho + Math.floor(((kh - 1) * dh) / sh);
  const Wq = Wo + Math.floor(((kw - 1) * dw) / sw);
  const Bx = Hq > Ho || Wq > Wo ? B + 1 : B;
  const taps: { phase: number; offset: number }[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const [rh, q] = [(i * dh) % sh, Math.floor((i * dh) / sh)];
      const [rw, p] = [(j * dw) % sw, Math.floor((j * dw) / sw)];
      taps.push({ phase: rh * sw + rw, offset: q * Wq + p });
    }
  }
  return { sh, sw, Hq, Wq, Hp: Hq * sh, Wp: Wq * sw, Bx, L: Bx * Hq * Wq, K: B * Hq * Wq, phases: sh * sw, taps };
}
export type Layout = ReturnType<typeof phaseLayout>;

/**
 * x [B, H, W, C] -> padded, phase-split, channel-major [phases, C, L], so that one tap's window of
 * one channel is a contiguous run of K values. One PadV2, a 2-D and a 4-D Transpose (the WASM
 * Transpose is fast up to rank 4; at rank 5 it was about 100× slower in our measurements).
 */
export function toPhasesT(backend: BackendWasm, x: Info, c: ConvInfo, g: Layout): Info {
  const C = x.shape[3];
  const { sh, sw, Bx, Hq, Wq } = g;
  const t = windowOf(backend, x, Bx, -c.padInfo.top, g.Hp, -c.padInfo.left, g.Wp); // [Bx, Hp, Wp, C]
  const u = run(backend, 'Transpose', { x: view(t, [Bx * g.Hp * g.Wp, C]) }, { perm: [1, 0] }); // [C, Bx·Hp·Wp]
  free(backend, t);
  if (g.phases === 1) return u;
  const v = run(backend, 'Transpose', { x: view(u, [C * Bx * Hq, sh, Wq, sw]) }, { perm: [1, 3, 0, 2] }); // [sh, sw, C·Bx·Hq, Wq]
  free(backend, u);
  return v;
}

/** Where tap k's window of channel ci starts in toPhasesT's output. */
export const windowStart = (g: Layout, C: number, k: number, ci: number) => (g.taps[k].phase * C + ci) * g.L + g.taps[k].offset;

/** dy [B, Ho, Wo, C] -> [K, C] on the phase grid, zeros where y ≥ Ho or x ≥ Wo. */
export function dyOnGrid(backend: BackendWasm, dy: Info, g: Layout): Info {
  const [B, , , C] = dy.shape;
  return view(windowOf(backend, dy, B, 0, g.Hq, 0, g.Wq), [g.K, C]);
}

/**
 * dx for a conv whose tap k maps dx-grid positions to dy-grid positions by a shift: `tap(k)`
 * gives that tap's contribution [K, C] on the dy grid. Each is moved to its offset in its phase
 * by a PadV2 and the phases are summed by AddN (at most 4 pending per phase, to bound memory),
 * then reassembled to [B, H, W, C] by two Transposes of rank ≤ 4 and a crop.
 */
export function scatterTaps(backend: BackendWasm, c: ConvInfo, g: Layout, C: number, tap: (k: number) => Info): Info {
  const pending: Info[][] = Array.from({ length: g.phases }, () => []);
  g.taps.forEach(({ phase, offset }, k) => {
    const t = tap(k);
    const placed = run(
      backend,
      'PadV2',
      { x: t },
      {
        paddings: [
          [offset, g.L - offset - g.K],
          [0, 0],
        ],
        constantValue: 0,
      },
    ); // [L, C]
    free(backend, t);
    const list = pending[phase];
    list.push(placed);
    if (list.length === 4) {
      const sum = run(backend, 'AddN', list);
      free(backend, ...list);
      list.splice(0, 4, sum);
    }
  });
  const phases = pending.map((list) => {
    if (list.length === 0) return run(backend, 'Fill', [], { shape: [g.L, C], value: 0, dtype: 'float32' });
    if (list.length === 1) return list[0];
    const sum = run(backend, 'AddN', list);
    free(backend, ...list);
    return sum;
  });
  let t = phases.length === 1 ? phases[0] : run(backend, 'Concat', phases, { axis: 0 }); // [sh, sw, Bx·Hq, Wq, C]
  if (phases.length > 1) free(backend, ...phases);
  const { sh, sw, Bx, Hq, Wq } = g;
  if (sw > 1) {
    const u = run(backend, 'Transpose', { x: view(t, [sh, sw, Bx * Hq * Wq, C]) }, { perm: [0, 2, 1, 3] }); // [sh, Bx·Hq, Wq, sw, C]
    free(backend, t);
    t = u;
  }
  if (sh > 1) {
    const u = run(backend, 'Transpose', { x: view(t, [sh, Bx * Hq, g.Wp * C]) }, { perm: [1, 0, 2] }); // [Bx·Hq, sh, Wp·C]
    free(backend, t);
    t = u;
  }
  const dx = windowOf(backend, view(t, [Bx, g.Hp, g.Wp, C]), c.batchSize, c.padInfo.top, c.inHeight, c.padInfo.left, c.inWidth);
  free(backend, t);
  return dx;
}
