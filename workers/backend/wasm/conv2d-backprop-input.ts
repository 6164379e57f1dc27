// Conv2DBackpropInput on the WASM backend in place of TF.js 4.22's own, a scalar C++ loop (about
// 1 GFLOP/s against 13 for its forward conv; tfjs-backend-wasm/src/kernels/Conv2DBackpropInput.ts)
// that, with the old Tile and BatchMatMul, took 2/3 of a training step. Semantics are the CPU
// backend's kernel of the same name (tfjs-backend-cpu/src/kernels/Conv2DBackpropInput.ts). Each
// stride phase of dx is computed as one XNNPACK forward conv of dy.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, gatherRuns, type Info, type KernelArgs, run, toNHWC, view, windowOf } from './heap';

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
export function conv2DBackpropInput({ inputs, backend: b, attrs }: KernelArgs<'dy' | 'filter'>): Info {
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
