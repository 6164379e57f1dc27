// The WASM gradient kernels against the CPU backend's (the reference semantics), the gradient of a
// small conv net and a few training steps of our model on WASM, and leaks. Runs in Node: the WASM
// backend finds its .wasm files beside its Node bundle in node_modules.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { BACKBONES } from '../contract/config';
import { buildModel } from '../model/model';
import { lars } from '../optim/optimizers';
import { trainStep } from '../train/step';
import { BUDGETS, inputGradAxis, phaseLayout, registerWasmGradKernels } from './wasm-grads';

/** Max |wasm − cpu| over max |cpu|; 1e-4 leaves room for float32 sums taken in another order. */
const TOLERANCE = 1e-4;
const worst: Record<string, number> = {};

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterAll(() => {
  // For the record: the largest relative error each kernel showed.
  console.info(`max relative error vs cpu: ${JSON.stringify(worst)}`);
});

/** Uniform(−1, 1) from a 32-bit LCG (Numerical Recipes constants), so every run sees the same data. */
function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `f` with `backend` active and returns its result's values. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = tf.tidy(f);
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

function relativeError(got: Float32Array, want: Float32Array): number {
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
async function expectSameOnBoth(kernel: string, f: () => tf.Tensor, reference = f): Promise<void> {
  const want = await on('cpu', reference);
  const got = await on('wasm', f);
  const err = relativeError(got, want);
  worst[kernel] = Math.max(worst[kernel] ?? 0, err);
  expect(err).toBeLessThanOrEqual(TOLERANCE);
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface Case {
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
const CASES: Case[] = [
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

function dyShapeOf(c: Case, depthwise: boolean): number[] {
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

const label = (c: Case) => `x ${c.x.join('×')}, ${c.k.join('×')} kernel, stride ${c.strides}, pad ${JSON.stringify(c.pad)}`;

/** Case n's filter gradient on wasm against cpu, on seeded data. */
async function expectFilterGradient(c: Case, n: number): Promise<void> {
  const dyShape = dyShapeOf(c, false);
  const x = randomValues(sizeOf(c.x), 2 * n + 1);
  const dy = randomValues(sizeOf(dyShape), 2 * n + 2);
  const attrs = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    filterShape: [...c.k, c.x[3], c.out],
  };
  await expectSameOnBoth(
    'Conv2DBackpropFilter',
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor(x, c.x), dy: tf.tensor(dy, dyShape) },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
  );
}

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  CASES.forEach((c, n) => it(label(c), () => expectFilterGradient(c, n)));

  it('sums batch chunks and stacks im2col blocks exactly as one block (budgets lowered to split every case)', async () => {
    const saved = { ...BUDGETS };
    try {
      for (const split of [
        { chunk: 1, im2col: 1 },
        { chunk: 300, im2col: 200 },
      ]) {
        Object.assign(BUDGETS, split);
        for (const [n, c] of CASES.entries()) await expectFilterGradient(c, n);
      }
    } finally {
      Object.assign(BUDGETS, saved);
    }
  });

  it('takes NCHW as the cpu kernel does', async () => {
    const [B, C, H, W] = [2, 3, 9, 7];
    const x = randomValues(B * C * H * W, 91);
    const dy = randomValues(B * 4 * 5 * 4, 92);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, C, 4] };
    await expectSameOnBoth(
      'Conv2DBackpropFilter',
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor(x, [B, C, H, W]), dy: tf.tensor(dy, [B, 4, 5, 4]) },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor,
    );
  });
});

describe('Conv2DBackpropInput (replacing the slow WASM one) on wasm matches cpu', () => {
  CASES.forEach((c, n) => {
    it(label(c), async () => {
      const dyShape = dyShapeOf(c, false);
      const filterShape = [...c.k, c.x[3], c.out];
      const dy = randomValues(sizeOf(dyShape), 2 * n + 51);
      const w = randomValues(sizeOf(filterShape), 2 * n + 52);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, inputShape: c.x };
      await expectSameOnBoth(
        'Conv2DBackpropInput',
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dy, dyShape), filter: tf.tensor(w, filterShape) },
              attrs as unknown as tf.NamedAttrMap,
            ) as tf.Tensor,
      );
    });
  });

  it('takes NCHW as the cpu kernel does', async () => {
    const [B, C, H, W] = [2, 3, 9, 7];
    const dy = randomValues(B * 4 * 5 * 4, 93);
    const w = randomValues(9 * C * 4, 94);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [B, C, H, W] };
    await expectSameOnBoth(
      'Conv2DBackpropInput',
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.tensor(dy, [B, 4, 5, 4]), filter: tf.tensor(w, [3, 3, C, 4]) },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor,
    );
  });
});

describe('Tile (replacing the slow WASM one) on wasm matches cpu', () => {
  const tiles: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [4, 3, 7, 1],
    ], // BatchNorm's gradient
    [
      [2, 3, 4],
      [3, 1, 2],
    ],
    [
      [3, 2],
      [1, 5],
    ],
    [[5], [3]],
    [
      [2, 1, 3, 2],
      [2, 4, 1, 3],
    ],
    [
      [64, 1],
      [1, 3],
    ], // one-value rows: more copies than 1 per 16 values, so the WASM kernel runs
    [
      [0, 3],
      [2, 2],
    ],
  ];
  tiles.forEach(([shape, reps], n) => {
    it(`${shape.join('×')} by ${reps.join('×')}`, async () => {
      const x = randomValues(sizeOf(shape), 61 + n);
      await expectSameOnBoth('Tile', () => tf.tile(tf.tensor(x, shape), reps));
    });
  });

  it('keeps int32 and bool values', async () => {
    await tf.setBackend('wasm');
    const ints = Array.from({ length: 16 }, (_, i) => i - 8);
    expect(Array.from(tf.tile(tf.tensor2d([ints], [1, 16], 'int32'), [3, 2]).dataSync())).toEqual(Array(6).fill(ints).flat());
    const bools = Array.from({ length: 32 }, (_, i) => i % 3 === 0);
    expect(Array.from(tf.tile(tf.tensor1d(bools, 'bool'), [3]).dataSync())).toEqual(Array(3).fill(bools.map(Number)).flat());
  });
});

describe('BatchMatMul with transposes (replacing the slow WASM path) on wasm matches cpu', () => {
  const products: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[1, 5, 7], [1, 3, 5], true, true],
    [[2, 5, 7], [2, 5, 3], true, false], // batched
    [[2, 3, 6, 4], [2, 3, 5, 4], false, true], // a ViT's q·kᵀ: [B, heads, N, d]
    [[2, 3, 6, 5], [1, 1, 6, 4], true, false], // broadcast batch dims
    [[3, 6, 4], [6, 5], true, false],
  ];
  products.forEach(([sa, sb, ta, tb], n) => {
    it(`${sa.join('×')}${ta ? 'ᵀ' : ''} · ${sb.join('×')}${tb ? 'ᵀ' : ''}`, async () => {
      const [a, b] = [randomValues(sizeOf(sa), 71 + n), randomValues(sizeOf(sb), 81 + n)];
      await expectSameOnBoth('BatchMatMul', () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb));
    });
  });
});

// Depthwise: channel multipliers 1 and 2, and dilated cases (the kernels take dilations, though
// TF.js's depthwise gradient only ever passes 1).
const DEPTHWISE: Case[] = [
  ...CASES.map((c, n) => ({ ...c, out: 1 + (n % 2) })),
  { x: [2, 11, 9, 3], k: [3, 3], out: 2, strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 12, 13, 2], k: [3, 2], out: 1, strides: 1, pad: 'valid', dilations: 3 },
];

/**
 * The cpu depthwise backprop kernels ignore `dilations` (their loops step the filter by 1), so a
 * dilated case is checked the long way: a dilation-d filter is the (k−1)·d+1 filter with zeros
 * between its taps, so dW is every d-th tap of that filter's dW, and dx is that filter's dx.
 */
function undilated(c: Case, x: tf.Tensor4D | null, dy: tf.Tensor4D, w: tf.Tensor4D | null): tf.Tensor {
  const d = c.dilations ?? 1;
  const [kh, kw] = [(c.k[0] - 1) * d + 1, (c.k[1] - 1) * d + 1];
  const attrs = { strides: c.strides, pad: c.pad, dilations: 1, dimRoundingMode: c.dimRoundingMode };
  if (x) {
    const full = tf
      .engine()
      .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
        ...attrs,
        filterShape: [kh, kw, c.x[3], c.out],
      } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [d, d, 1, 1]);
  }
  const spread = tf.buffer([kh, kw, c.x[3], c.out]);
  const wv = w!.arraySync();
  wv.forEach((row, i) => row.forEach((col, j) => col.forEach((ch, ci) => ch.forEach((v, m) => spread.set(v, i * d, j * d, ci, m)))));
  return tf
    .engine()
    .runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: spread.toTensor() }, {
      ...attrs,
      inputShape: c.x,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('DepthwiseConv2dNativeBackpropFilter and ...BackpropInput on wasm match cpu', () => {
  DEPTHWISE.forEach((c, n) => {
    it(`${label(c)}, multiplier ${c.out}${c.dilations ? `, dilation ${c.dilations}` : ''}`, async () => {
      const dyShape = dyShapeOf(c, true);
      const filterShape = [...c.k, c.x[3], c.out];
      const x = randomValues(sizeOf(c.x), 3 * n + 101);
      const dy = randomValues(sizeOf(dyShape), 3 * n + 102);
      const w = randomValues(sizeOf(filterShape), 3 * n + 103);
      const common = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dimRoundingMode: c.dimRoundingMode };
      const [xt, dyt, wt] = [
        () => tf.tensor4d(x, c.x as [number, number, number, number]),
        () => tf.tensor4d(dy, dyShape as [number, number, number, number]),
        () => tf.tensor4d(w, filterShape as [number, number, number, number]),
      ];
      const dilated = (c.dilations ?? 1) > 1;
      const filterGrad = () =>
        tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xt(), dy: dyt() }, {
            ...common,
            filterShape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const inputGrad = () =>
        tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyt(), filter: wt() }, {
            ...common,
            inputShape: c.x,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
      await expectSameOnBoth(
        'DepthwiseConv2dNativeBackpropFilter',
        filterGrad,
        dilated ? () => undilated(c, xt(), dyt(), null) : filterGrad,
      );
      await expectSameOnBoth('DepthwiseConv2dNativeBackpropInput', inputGrad, dilated ? () => undilated(c, null, dyt(), wt()) : inputGrad);
    });
  });
});

describe('phaseLayout', () => {
  it('keeps every tap window inside its phase, for many geometries', () => {
    for (const s of [1, 2, 3]) {
      for (const k of [1, 2, 3, 5, 7]) {
        for (const d of s === 1 ? [1, 2, 3] : [1]) {
          const c = tf.backend_util.computeConv2DInfo([3, 17, 12, 1], [k, k, 1, 1], s, d, 'same', undefined, true);
          const g = phaseLayout(c);
          for (const t of g.taps) {
            expect(t.phase).toBeLessThan(g.phases);
            expect(t.offset + g.K).toBeLessThanOrEqual(g.L);
          }
          expect(g.Hp).toBeGreaterThanOrEqual((c.outHeight - 1) * s + (k - 1) * d + 1);
        }
      }
    }
  });
});

describe('inputGradAxis', () => {
  it('pairs every dx row with exactly the (tap, dy row) pairs of the convolution, for many geometries', () => {
    for (const s of [1, 2, 3]) {
      for (const k of [1, 2, 3, 5, 7]) {
        for (const n of [5, 8, 13]) {
          for (const t of [0, 1, Math.floor((k - 1) / 2), k - 1]) {
            const nOut = Math.floor((n + t + (k - 1 - t) - k) / s) + 1; // padding t before, k − 1 − t after
            if (nOut < 1) continue;
            const { m0, count, phases } = inputGradAxis(s, k, t, n, nOut);
            for (let h = 0; h < n; h++) {
              // Direct: tap i of dy row y lands on padded row y·s + i = h + t.
              const want = [];
              for (let y = 0; y < nOut; y++) for (let i = 0; i < k; i++) if (y * s + i === h + t) want.push(`${i}@${y}`);
              // As the phase convolutions compute it: output row o of phase r reads dy row o − before + u
              // with kernel row u holding tap (taps − 1 − u)·s + r.
              const r = (h + t) % s;
              const o = Math.floor((h + t) / s) - m0;
              expect(o).toBeGreaterThanOrEqual(0);
              expect(o).toBeLessThan(count);
              const { taps, before } = phases[r];
              const got = [];
              for (let u = 0; u < taps; u++) {
                const y = o - before + u;
                if (y >= 0 && y < nOut) got.push(`${(taps - 1 - u) * s + r}@${y}`);
              }
              expect(got.sort(), `s ${s} k ${k} n ${n} t ${t} h ${h}`).toEqual(want.sort());
            }
            // The conv's output has `count` rows: dy's rows plus the padding, less the kernel.
            for (const p of phases) if (p.taps > 0) expect(nOut + p.before + p.after - p.taps + 1).toBe(count);
          }
        }
      }
    }
  });
});

describe('gradients of small nets on wasm', () => {
  /** loss and its gradients for `net` with the given variable values, on one backend. */
  async function grads(
    backend: 'cpu' | 'wasm',
    net: (x: tf.Tensor4D, w: tf.Variable[]) => tf.Scalar,
    x: tf.Tensor4D | number[],
    shapes: number[][],
  ) {
    await tf.setBackend(backend);
    const xs = tf.tensor4d(randomValues(sizeOf(x as number[]), 7), x as [number, number, number, number]);
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(randomValues(sizeOf(s), 20 + i), s).mul(0.5)));
    const { value, grads: g } = tf.variableGrads(() => net(xs, vars), vars);
    const out = { loss: (await value.data())[0], grads: await Promise.all(vars.map((v) => g[v.name].data() as Promise<Float32Array>)) };
    tf.dispose([xs, value, ...vars, ...Object.values(g)]);
    return out;
  }

  async function expectSameGrads(what: string, net: (x: tf.Tensor4D, w: tf.Variable[]) => tf.Scalar, x: number[], shapes: number[][]) {
    const want = await grads('cpu', net, x, shapes);
    const got = await grads('wasm', net, x, shapes);
    expect(got.loss).toBeCloseTo(want.loss, 4);
    got.grads.forEach((g, i) => {
      const err = relativeError(g, want.grads[i]);
      worst[what] = Math.max(worst[what] ?? 0, err);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('conv2d -> relu -> conv2d stride 2 -> mean of squares', async () => {
    const net = (x: tf.Tensor4D, [w1, w2]: tf.Variable[]) =>
      tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), w2 as tf.Tensor4D, 2, 'same'))) as tf.Scalar;
    await expectSameGrads(
      'conv net grads',
      net,
      [3, 9, 9, 3],
      [
        [3, 3, 3, 5],
        [3, 3, 5, 4],
      ],
    );
  });

  it('depthwise conv (multiplier 2) -> relu -> 1×1 conv -> mean of squares', async () => {
    const net = (x: tf.Tensor4D, [w1, w2]: tf.Variable[]) =>
      tf.mean(
        tf.square(tf.conv2d(tf.relu(tf.depthwiseConv2d(x, w1 as tf.Tensor4D, 2, 'same')), w2 as tf.Tensor4D, 1, 'valid')),
      ) as tf.Scalar;
    await expectSameGrads(
      'depthwise net grads',
      net,
      [2, 9, 10, 3],
      [
        [3, 3, 3, 2],
        [1, 1, 6, 4],
      ],
    );
  });
});

describe("gradients of the new backbones' ops on wasm (kernels TF.js has there, checked all the same)", () => {
  async function grads(backend: 'cpu' | 'wasm', net: (x: tf.Tensor4D, w: tf.Variable[]) => tf.Scalar, x: number[], shapes: number[][]) {
    await tf.setBackend(backend);
    const xs = tf.tensor4d(randomValues(sizeOf(x), 7), x as [number, number, number, number]);
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(randomValues(sizeOf(s), 20 + i), s).mul(0.5)));
    const { value, grads: g } = tf.variableGrads(() => net(xs, vars), vars);
    const inputGrad = tf.grad((t: tf.Tensor) => net(t as tf.Tensor4D, vars))(xs);
    const out = {
      loss: (await value.data())[0],
      grads: await Promise.all([...vars.map((v) => g[v.name]), inputGrad].map((t) => t.data() as Promise<Float32Array>)),
    };
    tf.dispose([xs, value, inputGrad, ...vars, ...Object.values(g)]);
    return out;
  }
  async function expectSameGrads(what: string, net: (x: tf.Tensor4D, w: tf.Variable[]) => tf.Scalar, x: number[], shapes: number[][]) {
    const want = await grads('cpu', net, x, shapes);
    const got = await grads('wasm', net, x, shapes);
    expect(got.loss).toBeCloseTo(want.loss, 4);
    got.grads.forEach((g, i) => {
      const err = relativeError(g, want.grads[i]);
      worst[what] = Math.max(worst[what] ?? 0, err);
      expect(err, `gradient ${i}`).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('MaxPoolGrad: ImageNet stem (7×7 stride 2 pad 3, ReLU, max-pool 3×3 stride 2 pad 1), ties at 0 included', async () => {
    const net = (x: tf.Tensor4D, [w]: tf.Variable[]) => {
      const h = tf.relu(tf.sub(tf.conv2d(x, w as tf.Tensor4D, 2, 3), 0.3)); // many exact zeros: ties in most windows
      return tf.mean(tf.square(tf.maxPool(h as tf.Tensor4D, 3, 2, 1))) as tf.Scalar;
    };
    await expectSameGrads('MaxPoolGrad', net, [2, 15, 14, 3], [[7, 7, 3, 4]]);
  });

  it('Relu6 and depthwise stride 2 with torch padding (MobileNetV2)', async () => {
    const net = (x: tf.Tensor4D, [w, d]: tf.Variable[]) =>
      tf.mean(
        tf.square(
          tf.relu6(tf.depthwiseConv2d(tf.relu6(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, 0), 4)) as tf.Tensor4D, d as tf.Tensor4D, 2, 1)),
        ),
      ) as tf.Scalar;
    await expectSameGrads(
      'Relu6 + depthwise',
      net,
      [2, 9, 10, 3],
      [
        [1, 1, 3, 6],
        [3, 3, 6, 1],
      ],
    );
  });

  it('LayerNorm, attention (softmax of q·kᵀ over heads) and exact GELU (ViT)', async () => {
    const net = (x: tf.Tensor4D, [wq, wk, wv, w1]: tf.Variable[]) => {
      const t = tf.reshape(x, [2, 12, 4]); // [B, N, D]
      const { mean, variance } = tf.moments(t, -1, true);
      const n = tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-6)));
      const heads = (w: tf.Variable) =>
        tf.transpose(tf.reshape(tf.matMul(tf.reshape(n, [24, 4]), w as tf.Tensor2D), [2, 12, 2, 2]), [0, 2, 1, 3]); // [B, H, N, d]
      const attn = tf.matMul(tf.softmax(tf.matMul(heads(wq), heads(wk), false, true)), heads(wv)); // [B, H, N, d]
      const h = tf.matMul(tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [24, 4]), w1 as tf.Tensor2D);
      const gelu = tf.mul(tf.mul(h, 0.5), tf.add(tf.erf(tf.mul(h, Math.SQRT1_2)), 1));
      return tf.mean(tf.square(gelu)) as tf.Scalar;
    };
    await expectSameGrads(
      'LayerNorm + attention + GELU',
      net,
      [2, 6, 4, 2],
      [
        [4, 4],
        [4, 4],
        [4, 4],
        [4, 8],
      ],
    );
  });
});

describe('no leaks', () => {
  it('leaves tensor count, bytes and backend buffers unchanged over many calls', async () => {
    await tf.setBackend('wasm');
    const backend = tf.findBackend('wasm') as BackendWasm;
    const c = CASES[1];
    const dyShape = dyShapeOf(c, false);
    const dwShape = dyShapeOf({ ...c, out: 2 }, true);
    const x = tf.tensor(randomValues(sizeOf(c.x), 1), c.x);
    const dy = tf.tensor(randomValues(sizeOf(dyShape), 2), dyShape);
    const dyd = tf.tensor(randomValues(sizeOf(dwShape), 3), dwShape);
    const w = tf.tensor(randomValues(9 * c.x[3] * 2, 4), [3, 3, c.x[3], 2]);
    const wc = tf.tensor(randomValues(9 * c.x[3] * c.out, 5), [3, 3, c.x[3], c.out]);
    const once = () => {
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c.x[3], c.out] },
      );
      tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy: dyd },
        { strides: 2, pad: 'same', dilations: 1, filterShape: [3, 3, c.x[3], 2] },
      );
      tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: dyd, filter: w },
        { strides: 2, pad: 'same', dilations: 1, inputShape: c.x },
      );
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: wc }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: c.x });
      // Explicit padding with a negative pad for one phase (dy cropped), and a 1×1 stride-2 conv (a phase of zeros).
      const e = CASES[9];
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy: tf.zeros(dyShapeOf(e, false)), filter: tf.zeros([3, 3, e.x[3], e.out]) },
        { strides: 2, pad: e.pad, dataFormat: 'NHWC', inputShape: e.x },
      );
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy: tf.zeros([5, 5, 4, 4]), filter: tf.zeros([1, 1, c.x[3], 4]) },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: c.x },
      );
      tf.sum(x, [0, 1, 2]);
      tf.mean(x, [1, 2], true);
      tf.tile(w, [2, 1, 3, 1]);
      tf.tile(x.reshape([-1, 1]), [1, 2]);
      tf.matMul(w.reshape([-1, 6]), w.reshape([-1, 6]), true, false);
      const [xn, dyn] = [x.transpose([0, 3, 1, 2]), dy.transpose([0, 3, 1, 2])];
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x: xn, dy: dyn },
        { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, c.x[3], c.out] },
      );
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy: dyn, filter: wc },
        { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: xn.shape },
      );
    };
    tf.tidy(once);
    const before = { ...tf.memory(), buffers: backend.numDataIds() };
    for (let i = 0; i < 20; i++) tf.tidy(once);
    const after = { ...tf.memory(), buffers: backend.numDataIds() };
    expect([after.numTensors, after.numBytes, after.buffers]).toEqual([before.numTensors, before.numBytes, before.buffers]);
    tf.dispose([x, dy, dyd, w, wc]);
  });

  it('registers each kernel once, however often it is called', () => {
    const kernels = () => tf.getKernelsForBackend('wasm').length;
    const n = kernels();
    registerWasmGradKernels();
    registerWasmGradKernels();
    expect(kernels()).toBe(n);
  });
});

describe('our model trains on wasm', () => {
  /** Three training steps of a small VICReg model on 8×16×16×3 inputs; the losses and tensor counts. */
  async function threeSteps(backend: 'cpu' | 'wasm') {
    await tf.setBackend(backend);
    const config = { ...DEFAULT_CONFIG, width: 4, projector: '32-32', batchSize: 8 };
    const model = buildModel(config);
    const optimizer = lars(config);
    const ctx = { model, optimizer, config, avt: { ema: null } };
    const x1 = tf.tensor4d(randomValues(8 * 16 * 16 * 3, 11), [8, 16, 16, 3]);
    const x2 = tf.tensor4d(randomValues(8 * 16 * 16 * 3, 12), [8, 16, 16, 3]);
    const losses: number[] = [];
    const tensors: number[] = [];
    for (let step = 0; step < 3; step++) {
      const row = tf.tidy(() => trainStep(ctx, x1, x2, step, 0.01).row);
      losses.push((await row.data())[0]);
      row.dispose();
      tensors.push(tf.memory().numTensors);
    }
    tf.dispose([x1, x2]);
    optimizer.dispose();
    model.dispose();
    return { losses, tensors };
  }

  it('runs 3 steps of buildModel + lars + trainStep with finite losses equal to cpu', async () => {
    const got = await threeSteps('wasm');
    const want = await threeSteps('cpu');
    for (const loss of got.losses) expect(Number.isFinite(loss)).toBe(true);
    got.losses.forEach((loss, i) => expect(Math.abs(loss - want.losses[i]) / Math.abs(want.losses[i])).toBeLessThan(1e-3));
    // Optimizer slots appear at the first step; after that a step must not leave tensors behind.
    expect(got.tensors[2]).toBe(got.tensors[1]);
  });
});

describe('every backbone trains on wasm', () => {
  const configOf = (backbone: (typeof BACKBONES)[number]) =>
    ({
      ...DEFAULT_CONFIG,
      backbone,
      width: 4,
      widthMult: 0.0625,
      stem: backbone === 'resnet18' ? 'imagenet' : 'cifar',
      patchSize: 4,
      vitDepth: 2,
      imageSize: 16,
      projector: '32-32',
      batchSize: 4,
    }) as const;
  const inputs = (seed: number) => tf.tensor4d(randomValues(4 * 16 * 16 * 3, seed), [4, 16, 16, 3]);

  /** Two training steps at a reduced width; the losses. */
  async function twoSteps(backend: 'cpu' | 'wasm', backbone: (typeof BACKBONES)[number]) {
    await tf.setBackend(backend);
    const config = configOf(backbone);
    const model = buildModel(config);
    const optimizer = lars(config);
    const ctx = { model, optimizer, config, avt: { ema: null } };
    const [x1, x2] = [inputs(11), inputs(12)];
    const losses: number[] = [];
    for (let step = 1; step <= 2; step++) {
      const row = tf.tidy(() => trainStep(ctx, x1, x2, step, 0.05).row);
      losses.push((await row.data())[0]);
      row.dispose();
    }
    tf.dispose([x1, x2]);
    optimizer.dispose();
    model.dispose();
    return losses;
  }

  /**
   * The gradient of every trainable variable through the whole network, with BatchNorm on its
   * running statistics: in training mode a BatchNorm over a few near-equal values amplifies float32
   * rounding (MobileNetV2 at 16 px normalizes 4 values per channel on its 1×1 maps, and cpu and
   * wasm then differ by 1% in the forward pass alone), which would hide a kernel's error or fake one.
   */
  async function evalGrads(backend: 'cpu' | 'wasm', backbone: (typeof BACKBONES)[number]) {
    await tf.setBackend(backend);
    const model = buildModel(configOf(backbone));
    const x = inputs(13);
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, false).embedding)) as tf.Scalar, model.store.trainable());
    const out = await Promise.all(
      model.store.params
        .filter((p) => p.trainable)
        .map(async (p) => ({ name: p.name, g: (await grads[p.variable.name].data()) as Float32Array })),
    );
    tf.dispose([x, ...Object.values(grads)]);
    model.dispose();
    return out;
  }

  for (const backbone of BACKBONES) {
    it(`${backbone}: the same gradients as cpu for every variable, and two finite training steps with cpu's first loss`, async () => {
      const want = await evalGrads('cpu', backbone);
      const got = await evalGrads('wasm', backbone);
      got.forEach(({ name, g }, i) => {
        const err = relativeError(g, want[i].g);
        worst[`${backbone} grads`] = Math.max(worst[`${backbone} grads`] ?? 0, err);
        expect(err, name).toBeLessThanOrEqual(TOLERANCE);
      });
      const losses = await twoSteps('wasm', backbone);
      const reference = await twoSteps('cpu', backbone);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(Math.abs(losses[0] - reference[0]) / Math.abs(reference[0])).toBeLessThan(1e-3);
    }, 150_000); // ResNet-50 takes about 35 s here, most of it on the cpu backend
  }
});
