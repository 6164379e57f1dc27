// Gradient kernels that TF.js 4.22's WASM backend lacks, so that a conv net can train on it:
// Conv2DBackpropFilter (tensorflow/tfjs#8474), DepthwiseConv2dNativeBackpropFilter and
// DepthwiseConv2dNativeBackpropInput; and faster Conv2DBackpropInput, Tile and BatchMatMul, which
// it has but which took 2/3 of a training step (see REPLACED; Sum, Mean, GatherV2 and SplitV are
// replaced in wasm-reduce.ts and wasm-copy.ts). Semantics are the CPU backend's kernels of the
// same names (tfjs-backend-cpu/src/kernels/*.ts). The arithmetic runs in WASM kernels (XNNPACK
// matmul and conv, Multiply, Sum, AddN) and the data movement in PadV2 and Transpose; JS only
// copies contiguous runs of values (as TF.js's own WASM Slice and Concat kernels do).
//
// Each conv kernel makes every filter tap read contiguous runs by splitting the padded input into
// stride phases. With x' the padded input, s the stride and d the dilation,
//   x'[b, y·s + i·d, x·s + j·d] = phase(i·d mod s, j·d mod s)[b, y + ⌊i·d/s⌋, x + ⌊j·d/s⌋].
// Conv2DBackpropFilter splits the columns only and puts the batch innermost (runs of Wo·B
// values); Conv2DBackpropInput computes each phase of dx as a forward conv; the depthwise kernels
// flatten each phase to [B, Hq, Wq] (phaseLayout), where "+ (q, p)" is "+ q·Wq + p" and dy, padded
// with zeros to the same grid, cancels the positions that wrap into the next image row.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmCopies } from './wasm-copy';
import { registerWasmReductions } from './wasm-reduce';
import { originalWasmKernel, replaceWasmKernel } from './wasm-replace';

type Info = tf.TensorInfo;
type ConvInfo = tf.backend_util.Conv2DInfo;
type KernelArgs<I extends string> = { inputs: Record<I, Info>; backend: unknown; attrs?: tf.NamedAttrMap };

/** Memory bounds of the filter gradients, in float32 values (tests lower them to split small cases). */
export const BUDGETS = {
  /**
   * Largest im2col block (32 MiB): the filter gradient stacks as many taps' windows into one
   * matmul as fit, so memory stays bounded for large images and batches.
   */
  im2col: 1 << 23,
  /**
   * Padded input per batch chunk of Conv2DBackpropFilter (2 MiB): its batch-innermost Transpose
   * ran 8× slower per value once a chunk outgrew the cache (64 images of 33×34×24 took 14.5 ms,
   * 32 of them 1.7 ms; Node 20), so the batch is taken in chunks and their gradients summed.
   */
  chunk: 1 << 19,
};

/** Calls another WASM kernel directly; its output belongs to the backend (release with `free`). */
function run(backend: BackendWasm, name: string, inputs: Record<string, Info> | Info[], attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** The same data under another shape, without a refcount: valid while `t` lives, never freed itself. */
const view = (t: Info, shape: number[]): Info => ({ dataId: t.dataId, shape, dtype: t.dtype });

/** out[r, :] = flat(t)[starts[r] : starts[r] + n]: one memcpy per row. out is [starts.length, n]. */
function gatherRuns(backend: BackendWasm, t: Info, starts: number[], n: number): Info {
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
function windowOf(backend: BackendWasm, x: Info, bs: number, r0: number, hs: number, c0: number, ws: number, b0 = 0): Info {
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
type Layout = ReturnType<typeof phaseLayout>;

/**
 * x [B, H, W, C] -> padded, phase-split, channel-major [phases, C, L], so that one tap's window of
 * one channel is a contiguous run of K values. One PadV2, a 2-D and a 4-D Transpose (the WASM
 * Transpose is fast up to rank 4; at rank 5 it was about 100× slower in our measurements).
 */
function toPhasesT(backend: BackendWasm, x: Info, c: ConvInfo, g: Layout): Info {
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
const windowStart = (g: Layout, C: number, k: number, ci: number) => (g.taps[k].phase * C + ci) * g.L + g.taps[k].offset;

/** dy [B, Ho, Wo, C] -> [K, C] on the phase grid, zeros where y ≥ Ho or x ≥ Wo. */
function dyOnGrid(backend: BackendWasm, dy: Info, g: Layout): Info {
  const [B, , , C] = dy.shape;
  return view(windowOf(backend, dy, B, 0, g.Hq, 0, g.Wq), [g.K, C]);
}

/**
 * dx for a conv whose tap k maps dx-grid positions to dy-grid positions by a shift: `tap(k)`
 * gives that tap's contribution [K, C] on the dy grid. Each is moved to its offset in its phase
 * by a PadV2 and the phases are summed by AddN (at most 4 pending per phase, to bound memory),
 * then reassembled to [B, H, W, C] by two Transposes of rank ≤ 4 and a crop.
 */
function scatterTaps(backend: BackendWasm, c: ConvInfo, g: Layout, C: number, tap: (k: number) => Info): Info {
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

const toNHWC = (backend: BackendWasm, t: Info) => run(backend, 'Transpose', { x: t }, { perm: [0, 2, 3, 1] });

/** The padded rows some tap reads (Hp) and the columns per column phase (Wq) of a filter gradient. */
const paddedExtent = (c: ConvInfo) => ({
  Hp: (c.outHeight - 1) * c.strideHeight + c.filterHeight,
  Wq: c.outWidth + Math.floor((c.filterWidth - 1) / c.strideWidth),
});

/**
 * Conv2DBackpropFilter of images [b0, b0 + bc): dW as [taps·Ci, Co] (see conv2DBackpropFilter).
 * The padded input x' is laid out [Ci, Hp, sw, Wq, bc], so a tap's window of one channel is Ho
 * runs of Wo·bc values, each copied whole into the im2col block.
 */
function filterGradientOfImages(backend: BackendWasm, x: Info, dy: Info, c: ConvInfo, b0: number, bc: number): Info {
  const { batchSize: B, inChannels: Ci, outChannels: Co, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = c;
  const { filterHeight: kh, filterWidth: kw } = c;
  const { Hp, Wq } = paddedExtent(c);
  const taps = kh * kw;
  /** Where tap `tap`'s window of channel ci starts in x' (row y adds y·sh·sw·Wq·bc). */
  const runStart = (tap: number, ci: number) => {
    const [i, j] = [Math.floor(tap / kw), tap % kw];
    return (((ci * Hp + i) * sw + (j % sw)) * Wq + Math.floor(j / sw)) * bc;
  };
  const xp = windowOf(backend, x, bc, -c.padInfo.top, Hp, -c.padInfo.left, Wq * sw, b0); // [bc, Hp, Wq·sw, Ci]
  let xs = xp;
  if (sw > 1) {
    xs = run(backend, 'Transpose', { x: view(xp, [bc * Hp, Wq, sw, Ci]) }, { perm: [0, 2, 1, 3] }); // [bc, Hp, sw, Wq, Ci]
    free(backend, xp);
  }
  const xT = run(backend, 'Transpose', { x: view(xs, [bc, Hp * sw * Wq, Ci]) }, { perm: [2, 1, 0] }); // [Ci, Hp, sw, Wq, bc]
  free(backend, xs);
  const K = Ho * Wo * bc;
  const dyc = bc === B ? dy : gatherRuns(backend, dy, [b0 * Ho * Wo * Co], bc * Ho * Wo * Co);
  const dyT = view(run(backend, 'Transpose', { x: view(dyc, [bc, Ho * Wo, Co]) }, { perm: [1, 0, 2] }), [K, Co]); // [(y, x, b), Co]
  if (dyc !== dy) free(backend, dyc);
  const [rowStride, runLength] = [sh * sw * Wq * bc, Wo * bc];
  const perBlock = Math.max(1, Math.floor(BUDGETS.im2col / (Ci * K)));
  const blocks: Info[] = [];
  for (let k0 = 0; k0 < taps; k0 += perBlock) {
    const k1 = Math.min(k0 + perBlock, taps);
    const cols = backend.makeOutput([(k1 - k0) * Ci, K], 'float32');
    const src = backend.typedArrayFromHeap(xT) as Float32Array; // views after makeOutput (the heap may grow)
    const dst = backend.typedArrayFromHeap(cols) as Float32Array;
    for (let tap = k0; tap < k1; tap++) {
      for (let ci = 0; ci < Ci; ci++) {
        const from = runStart(tap, ci);
        const to = ((tap - k0) * Ci + ci) * K;
        for (let y = 0; y < Ho; y++) dst.set(src.subarray(from + y * rowStride, from + y * rowStride + runLength), to + y * runLength);
      }
    }
    blocks.push(run(backend, 'BatchMatMul', { a: cols, b: dyT }, { transposeA: false, transposeB: false })); // [taps·Ci, Co]
    free(backend, cols);
  }
  free(backend, xT, dyT);
  const out = blocks.length === 1 ? blocks[0] : run(backend, 'Concat', blocks, { axis: 0 });
  if (blocks.length > 1) free(backend, ...blocks);
  return out;
}

/**
 * Conv2DBackpropFilter: dW[i, j, ci, co] = Σ_{b,y,x} x'[b, y·s + i, x·s + j, ci] · dy[b, y, x, co].
 * x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> filterShape [kh, kw, Ci, Co]. im2col, transposed: the
 * taps' windows stacked as rows [taps·Ci, K] times dy [K, Co] is dW in its own layout, with the K
 * positions ordered (y, x, b), batch innermost. Then, with x' laid out [Ci, Hp, sw, Wq, B] (padded,
 * split into column phases, channel-major, batch innermost), one tap's window of one channel is Ho
 * contiguous runs of Wo·B values, and K is exactly B·Ho·Wo: no padded grid positions to multiply
 * by zero (they were 13–56% extra at our model's shapes). dy is the matmul's second operand, which
 * XNNPACK packs (slowly: about 7.5 ns a value), so it is packed once and the windows, copied by
 * memcpy, are the first.
 */
function conv2DBackpropFilter({ inputs, backend: b, attrs }: KernelArgs<'x' | 'dy'>): Info {
  const backend = b as BackendWasm;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') {
    const [xt, dyt] = [toNHWC(backend, x), toNHWC(backend, dy)];
    const out = conv2DBackpropFilter({ inputs: { x: xt, dy: dyt }, backend, attrs: { ...attrs, dataFormat: 'NHWC' } });
    free(backend, xt, dyt);
    return out;
  }
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const B = c.batchSize;
  const { Hp, Wq } = paddedExtent(c);
  const perImage = Hp * Wq * c.strideWidth * c.inChannels;
  const chunks = Math.ceil(B / Math.max(1, Math.floor(BUDGETS.chunk / perImage)));
  const chunk = Math.ceil(B / chunks); // equal chunks: 4 of 16 rather than 19, 19, 19, 7
  const partial: Info[] = [];
  for (let b0 = 0; b0 < B; b0 += chunk) partial.push(filterGradientOfImages(backend, x, dy, c, b0, Math.min(chunk, B - b0)));
  const out = partial.length === 1 ? partial[0] : run(backend, 'AddN', partial);
  if (partial.length > 1) free(backend, ...partial);
  return view(out, [...filterShape]);
}

/**
 * DepthwiseConv2dNativeBackpropFilter, with M the channel multiplier:
 * dW[i, j, c, m] = Σ_{b,y,x} x'[b, y·s + i·d, x·s + j·d, c] · dy[b, y, x, c·M + m].
 * x [B, H, W, C], dy [B, Ho, Wo, C·M] -> filterShape [kh, kw, C, M]. Per tap, channel-major: the
 * window [C, K] times dyᵀ [C, M, K], summed over the innermost axis (no transpose inside Sum).
 */
function depthwiseBackpropFilter({ inputs, backend: b, attrs }: KernelArgs<'x' | 'dy'>): Info {
  const backend = b as BackendWasm;
  const { x, dy } = inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const c = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const C = c.inChannels;
  const M = c.outChannels / C;
  const g = phaseLayout(c);
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
  return view(out, [...filterShape]);
}

/**
 * DepthwiseConv2dNativeBackpropInput: dx[b, h, w, c] = Σ over taps (i, j) and m of
 * dy[b, y, x, c·M + m] · W[i, j, c, m], where h = y·s + i·d − top and w = x·s + j·d − left.
 * dy [B, Ho, Wo, C·M], filter [kh, kw, C, M] -> inputShape [B, H, W, C]. Tap k contributes
 * dy ⊙ W[k] (summed over m), shifted into place by scatterTaps.
 */
function depthwiseBackpropInput({ inputs, backend: b, attrs }: KernelArgs<'dy' | 'filter'>): Info {
  const backend = b as BackendWasm;
  const { dy, filter } = inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const c = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const C = c.inChannels;
  const M = c.outChannels / C;
  const g = phaseLayout(c);
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

/**
 * Geometry of Conv2DBackpropInput as stride-1 forward convolutions, one per stride phase, along
 * one axis (pure). With t the padding before, a padded row Y = h + t of dx is m·s + r for phase
 * r = Y mod s, and it receives dy[m − q] · W[q·s + r] for every tap q·s + r < k: a correlation of
 * dy with phase r's taps in reverse order. Every phase computes the grid rows m ∈ [m0, m0 + count)
 * that hold dx's rows, with `before`/`after` the conv's padding of dy (negative: crop).
 */
export function inputGradAxis(s: number, k: number, t: number, n: number, nOut: number) {
  const m0 = Math.floor(t / s);
  const count = Math.floor((t + n - 1) / s) - m0 + 1;
  const phases = Array.from({ length: s }, (_, r) => {
    const taps = Math.max(0, Math.ceil((k - r) / s));
    const before = taps - 1 - m0;
    return { taps, before, after: count + taps - 1 - nOut - before };
  });
  return { m0, count, phases };
}

/**
 * Conv2DBackpropInput: dx[b, h, w, ci] = Σ over taps (i, j) and co of dy[b, y, x, co] · W[i, j, ci, co],
 * where h = y·s + i − top and w = x·s + j − left. dy [B, Ho, Wo, Co], filter [kh, kw, Ci, Co] ->
 * inputShape. One XNNPACK forward conv per stride phase (inputGradAxis), the phase's taps of
 * W[i, j]ᵀ flipped as its kernel; for stride 1 that one conv is dx. The phases are interleaved by
 * two Transposes of rank ≤ 4 and cropped to dx. At our model's shapes this runs at the forward
 * conv's speed (about 16 GFLOP/s in Node), against 8.5–10 for a matmul per tap shifted into place.
 */
function conv2DBackpropInput({ inputs, backend: b, attrs }: KernelArgs<'dy' | 'filter'>): Info {
  const backend = b as BackendWasm;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') {
    const [B, C, H, W] = inputShape;
    const dyt = toNHWC(backend, dy);
    const dx = conv2DBackpropInput({
      inputs: { dy: dyt, filter },
      backend,
      attrs: { ...attrs, dataFormat: 'NHWC', inputShape: [B, H, W, C] },
    });
    const out = run(backend, 'Transpose', { x: dx }, { perm: [0, 3, 1, 2] });
    free(backend, dyt, dx);
    return out;
  }
  const c = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: B, inChannels: Ci, outChannels: Co, strideHeight: sh, strideWidth: sw } = c;
  const rows = inputGradAxis(sh, c.filterHeight, c.padInfo.top, c.inHeight, c.outHeight);
  const cols = inputGradAxis(sw, c.filterWidth, c.padInfo.left, c.inWidth, c.outWidth);
  const wT = run(backend, 'Transpose', { x: filter }, { perm: [0, 1, 3, 2] }); // [kh, kw, Co, Ci]
  const phases: Info[] = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const ph = rows.phases[rh];
      const pw = cols.phases[rw];
      if (ph.taps === 0 || pw.taps === 0) {
        phases.push(run(backend, 'Fill', [], { shape: [B, rows.count, cols.count, Ci], value: 0, dtype: 'float32' }));
        continue;
      }
      const starts: number[] = [];
      for (let u = 0; u < ph.taps; u++) {
        for (let v = 0; v < pw.taps; v++) {
          const [i, j] = [(ph.taps - 1 - u) * sh + rh, (pw.taps - 1 - v) * sw + rw];
          starts.push((i * c.filterWidth + j) * Co * Ci);
        }
      }
      const kernel = view(gatherRuns(backend, wT, starts, Co * Ci), [ph.taps, pw.taps, Co, Ci]);
      let input = dy;
      let conv: tf.Conv2DAttrs['pad'] = [
        [0, 0],
        [ph.before, ph.after],
        [pw.before, pw.after],
        [0, 0],
      ];
      if (Math.min(ph.before, ph.after, pw.before, pw.after) < 0) {
        // XNNPACK takes no negative padding: take dy's window (zeros outside) and convolve it 'valid'.
        const hs = c.outHeight + ph.before + ph.after;
        const ws = c.outWidth + pw.before + pw.after;
        input = windowOf(backend, dy, B, -ph.before, hs, -pw.before, ws);
        conv = 'valid';
      }
      phases.push(run(backend, 'Conv2D', { x: input, filter: kernel }, { strides: 1, pad: conv, dataFormat: 'NHWC', dilations: 1 })); // [B, count, count, Ci]
      free(backend, kernel);
      if (input !== dy) free(backend, input);
    }
  }
  free(backend, wT);
  if (phases.length === 1) return phases[0]; // stride 1: rows m0 = top, count = H (and so for columns)
  const [cH, cW] = [rows.count, cols.count];
  const stacked = run(
    backend,
    'Concat',
    phases.map((p) => view(p, [1, B * cH * cW * Ci])),
    { axis: 0 },
  ); // [sh, sw, B·cH, cW, Ci]
  free(backend, ...phases);
  let t = stacked;
  if (sw > 1) {
    t = run(backend, 'Transpose', { x: view(stacked, [sh, sw, B * cH * cW, Ci]) }, { perm: [0, 2, 1, 3] }); // [sh, B·cH, cW, sw, Ci]
    free(backend, stacked);
  }
  if (sh > 1) {
    const u = run(backend, 'Transpose', { x: view(t, [sh, B * cH, cW * sw * Ci]) }, { perm: [1, 0, 2] }); // [B·cH, sh, cW·sw·Ci]
    free(backend, t);
    t = u;
  }
  const dx = windowOf(
    backend,
    view(t, [B, cH * sh, cW * sw, Ci]),
    B,
    c.padInfo.top - rows.m0 * sh,
    c.inHeight,
    c.padInfo.left - cols.m0 * sw,
    c.inWidth,
  );
  free(backend, t);
  return dx;
}

/**
 * Tile: out[i0, …] = x[i0 mod s0, …]. Places x's innermost rows, then doubles blocks with
 * copyWithin, dimension by dimension from the innermost out. Strings, and tiles that would take
 * more than one copy per 4 values (x with tiny innermost rows), go to the WASM kernel: a copy
 * call costs about what its C++ loop spends on one value (~0.1 µs).
 */
function tile(args: KernelArgs<'x'>): Info {
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

/**
 * BatchMatMul with transposeA or transposeB: the WASM kernel sends these to a scalar C++ loop
 * (about 1.4 GFLOP/s against 15 for its XNNPACK path, which takes no transposes); every matmul
 * gradient, the covariance zᵀz and a ViT's attention scores q·kᵀ have one. Transposing first
 * (a rank-3 Transpose, [batch, r, c] -> [batch, c, r], whatever the batch dims) is far faster.
 */
function batchMatMul(args: KernelArgs<'a' | 'b'>): Info {
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

const as = (kernelName: string, f: unknown): tf.KernelConfig => ({ kernelName, backendName: 'wasm', kernelFunc: f as tf.KernelFunc });

/** Kernels TF.js 4.22's WASM backend does not have. */
const MISSING = [
  as('Conv2DBackpropFilter', conv2DBackpropFilter),
  as('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter),
  as('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput),
];

/**
 * Kernels it has but runs far slower than it could; with the first two, they took 2/3 of a
 * training step (Node 20, one thread; our model at its defaults). Its Conv2DBackpropInput is a
 * scalar C++ loop (about 1 GFLOP/s against 13 for its forward conv), its Tile, used by every
 * BatchNorm gradient, takes about 140 ms to broadcast 16 values to [64, 32, 32, 16], and its
 * BatchMatMul leaves XNNPACK whenever an operand is transposed.
 */
const REPLACED = [as('Conv2DBackpropInput', conv2DBackpropInput), as('Tile', tile), as('BatchMatMul', batchMatMul)];

/**
 * Registers the missing kernels, and (unless `replaceSlow` is false) replaces the slow ones once
 * the WASM backend's own are registered. Safe to call more than once.
 */
export function registerWasmGradKernels({ replaceSlow = true } = {}): void {
  for (const k of MISSING) {
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
  if (!replaceSlow) return;
  registerWasmReductions();
  registerWasmCopies();
  for (const k of REPLACED) replaceWasmKernel(k.kernelName, k.kernelFunc);
}
