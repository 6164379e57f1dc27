// Shared by the kernel tests of this folder (not a test file itself): seeded data, a kernel on wasm
// against TF.js's CPU backend (the reference semantics), and the conv geometries every conv
// gradient is checked on. Runs in Node: the WASM backend finds its .wasm files beside its Node
// bundle in node_modules.
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { registerWasmGradKernels } from './register';
import { lcgValues } from '../../dataset/random';
import { nativeOptions, relaxedSimdSupported } from './native/module';

// Node 20's V8 has relaxed SIMD behind a flag (on by default from Node 22): on, so the relaxed
// build of the native kernels is tested here as Chromium runs it.
setFlagsFromString('--experimental-wasm-relaxed-simd');

/** The builds of the native kernels (native/kernels.c) a kernel test runs on: relaxed SIMD, plain
 *  SIMD, and none (the kernel's TF.js route, taken where the native kernels cannot run). */
export const NATIVE_BUILDS = ['relaxed', 'plain', 'off'] as const;

/** describe(name) once per native build, with that build in force for its tests. */
export function describeEachBuild(name: string, body: (build: (typeof NATIVE_BUILDS)[number]) => void): void {
  for (const build of NATIVE_BUILDS) {
    describe(`${name} (native kernels: ${build})`, () => {
      beforeAll(() => {
        if (build === 'relaxed') expect(relaxedSimdSupported()).toBe(true);
        nativeOptions.simd = build === 'relaxed' ? 'auto' : build;
      });
      afterEach(() => {
        nativeOptions.simd = 'auto';
      });
      body(build);
    });
  }
}

/** Max |wasm − cpu| over max |cpu|; 1e-4 leaves room for float32 sums taken in another order. */
export const TOLERANCE = 1e-4;
const worst: Record<string, number> = {};

/** Registers the studio's kernels and starts wasm before a test file's tests; logs the worst errors after them. */
export function setUpWasmKernels(): void {
  beforeAll(async () => {
    registerWasmGradKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    // For the record: the largest relative error each kernel showed.
    console.info(`max relative error vs cpu: ${JSON.stringify(worst)}`);
  });
}

/** Keeps the largest relative error seen for `what`, for the record logged after the tests. */
export function noteError(what: string, err: number): void {
  worst[what] = Math.max(worst[what] ?? 0, err);
}

/** Uniform(−1, 1) from a 32-bit LCG (Numerical Recipes constants), so every run sees the same data. */
export const randomValues = lcgValues;

export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `f` with `backend` active and returns its result's values. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = tf.tidy(f);
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

export function relativeError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** `reference` on cpu, `f` on wasm (the same function unless cpu needs another route). */
export async function expectSameOnBoth(kernel: string, f: () => tf.Tensor, reference = f): Promise<void> {
  const want = await on('cpu', reference);
  const got = await on('wasm', f);
  const err = relativeError(got, want);
  noteError(kernel, err);
  expect(err).toBeLessThanOrEqual(TOLERANCE);
}

/** TF.js kernel `kernel` on wasm against cpu: `inputs` are made inside the check, on each backend. */
export function expectKernelSameOnBoth(kernel: string, inputs: () => tf.NamedTensorMap, attrs: object): Promise<void> {
  return expectSameOnBoth(kernel, () => tf.engine().runKernel(kernel, inputs(), attrs as unknown as tf.NamedAttrMap) as tf.Tensor);
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export interface Case {
  x: number[]; // [B, H, W, C]
  k: [number, number]; // kh, kw
  out: number; // Co for conv2d, channel multiplier M for depthwise
  strides: number | [number, number];
  pad: Pad;
  dilations?: number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

// Stride 1 and 2, 'same', 'valid', numeric and explicit padding, 1×1 to 7×7 kernels, batch 1 and
// 5, odd and non-square sizes; the last ones crop (kernel ≤ stride) or leave input rows unused.
export const CASES: Case[] = [
  { x: [1, 7, 9, 3], k: [3, 3], out: 4, strides: 1, pad: 'same' },
  { x: [5, 9, 7, 4], k: [3, 3], out: 6, strides: 2, pad: 'same' },
  { x: [5, 11, 11, 3], k: [7, 7], out: 5, strides: 2, pad: 'valid' },
  { x: [1, 13, 13, 2], k: [7, 7], out: 3, strides: 1, pad: 'same' },
  { x: [5, 8, 8, 6], k: [1, 1], out: 4, strides: 1, pad: 'valid' },
  { x: [3, 13, 10, 5], k: [1, 1], out: 3, strides: 2, pad: 'same' },
  { x: [5, 10, 10, 3], k: [3, 3], out: 4, strides: 2, pad: 'valid' },
  { x: [2, 5, 5, 2], k: [2, 2], out: 3, strides: 3, pad: 'valid' },
  { x: [2, 9, 8, 2], k: [3, 5], out: 3, strides: [1, 2], pad: 2 },
  {
    x: [2, 9, 8, 2],
    k: [3, 3],
    out: 3,
    strides: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [1, 10, 9, 3], k: [3, 3], out: 2, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  ...randomCases(6, 2024),
];

/** Seeded random geometries: batch 1–5, sides 5–14, 1–6 channels, kernels 1–5, strides 1–3. */
function randomCases(n: number, seed: number): Case[] {
  const u = randomValues(8 * n, seed);
  const pick = (v: number, options: number[]) => options[Math.floor(((v + 1) / 2) * options.length) % options.length];
  const range = (v: number, lo: number, hi: number) =>
    pick(
      v,
      Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
    );
  return Array.from({ length: n }, (_, i) => {
    const r = u.subarray(8 * i, 8 * i + 8);
    const k: [number, number] = [pick(r[0], [1, 2, 3, 5]), pick(r[1], [1, 3, 5])];
    const [h, w] = [range(r[2], 5, 14), range(r[3], 5, 14)];
    return {
      x: [range(r[4], 1, 5), h, w, range(r[5], 1, 6)],
      k,
      out: range(r[6], 1, 5),
      strides: pick(r[7], [1, 2, 3]),
      pad: i % 2 ? 'valid' : 'same',
    };
  });
}

/** dy's shape for case c: [B, Ho, Wo, Co], or [B, Ho, Wo, C·M] when depthwise. */
export function dyShapeOf(c: Case, depthwise: boolean): number[] {
  const filter = [...c.k, c.x[3], c.out] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    filter,
    c.strides,
    c.dilations ?? 1,
    c.pad,
    c.dimRoundingMode,
    depthwise,
  );
  return info.outShape;
}

export const label = (c: Case) => `x ${c.x.join('×')}, ${c.k.join('×')} kernel, stride ${c.strides}, pad ${JSON.stringify(c.pad)}`;

// Depthwise: channel multipliers 1 and 2, and dilated cases (the kernels take dilations, though
// TF.js's depthwise gradient only ever passes 1).
export const DEPTHWISE: Case[] = [
  ...CASES.map((c, n) => ({ ...c, out: 1 + (n % 2) })),
  { x: [2, 11, 9, 3], k: [3, 3], out: 2, strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 12, 13, 2], k: [3, 2], out: 1, strides: 1, pad: 'valid', dilations: 3 },
];
