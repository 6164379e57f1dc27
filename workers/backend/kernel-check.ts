// "Check kernels": the studio's own kernels (wasm/, webgpu-*.ts) and the backend's built-in
// ones that training uses, on the active backend, against TF.js's CPU backend (the reference
// semantics) on the same seeded data. A user's GPU driver or browser can differ from the ones we
// test on; this says whether training there computes the right gradients.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelCheckReport } from '../contract/api';
import { errorMessage } from '../contract/errors';
import { lcgValues } from '../dataset/random';
import { BN_RUNNING, BN_TRAIN, BN_TRAIN_GRAD, fusedBatchNorm } from '../model/batchnorm';
import { fusedSgdStep, SGD_STEP } from '../optim/sgd-step';
import { nativeKernels } from './wasm/native/module';
import { poolOptions } from './wasm/native/pool';

/** Max |active − cpu| over max |cpu|: float32 sums taken in another order stay far below it. */
export const KERNEL_CHECK_TOLERANCE = 1e-4;

/** Uniform(−1, 1) from a 32-bit LCG (Numerical Recipes constants): the same data on every backend. */
const values = lcgValues;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const tensor = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface ConvCase {
  x: [number, number, number, number];
  k: number;
  out: number;
  s: number;
  pad: Pad;
}

// Our models' geometries, small: 3×3 stride 1 and 2 ('same' and torch's symmetric padding), the
// ImageNet stem's 7×7 stride 2, 1×1 stride 2 (ResNet's downsampling shortcut).
const CONVS: ConvCase[] = [
  { x: [4, 9, 9, 3], k: 3, out: 5, s: 1, pad: 'same' },
  { x: [3, 10, 10, 4], k: 3, out: 6, s: 2, pad: 'same' },
  {
    x: [2, 11, 11, 3],
    k: 3,
    out: 4,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 15, 15, 3],
    k: 7,
    out: 4,
    s: 2,
    pad: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  },
  { x: [3, 8, 8, 5], k: 1, out: 4, s: 2, pad: 'valid' },
];

function cases(): { kernel: string; label: string; run: () => tf.Tensor }[] {
  const out: { kernel: string; label: string; run: () => tf.Tensor }[] = [];
  CONVS.forEach((c, n) => {
    const label = `x ${c.x.join('×')}, ${c.k}×${c.k} stride ${c.s}, pad ${typeof c.pad === 'string' ? c.pad : 'explicit'}`;
    const filter: [number, number, number, number] = [c.k, c.k, c.x[3], c.out];
    const info = tf.backend_util.computeConv2DInfo(c.x, filter, c.s, 1, c.pad);
    out.push({
      kernel: 'Conv2DBackpropFilter',
      label,
      run: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tensor(c.x, 10 * n + 1), dy: tensor(info.outShape, 10 * n + 2) }, {
          strides: c.s,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: filter,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    });
    out.push({
      kernel: 'Conv2DBackpropInput',
      label,
      run: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: tensor(info.outShape, 10 * n + 3), filter: tensor(filter, 10 * n + 4) }, {
          strides: c.s,
          pad: c.pad,
          dataFormat: 'NHWC',
          inputShape: c.x,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    });
    if (c.k === 3) {
      // MobileNetV2's depthwise 3×3, through TF.js's gradient (both depthwise backprop kernels).
      out.push({
        kernel: 'DepthwiseConv2dNative gradients',
        label,
        run: () => {
          const x = tensor(c.x, 10 * n + 5);
          const w = tensor([3, 3, c.x[3], 1], 10 * n + 6);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad))),
          )([x, w]);
          return tf.concat([tf.reshape(g[0], [-1]), tf.reshape(g[1], [-1])]);
        },
      });
    }
  });
  // BatchNorm statistics and their gradients: Sum and Mean over the leading axes.
  for (const shape of [
    [16, 6, 6, 8],
    [32, 24],
  ]) {
    const axes = shape.slice(0, -1).map((_, i) => i);
    out.push({
      kernel: 'Sum, Mean over leading axes',
      label: shape.join('×'),
      run: () => {
        const x = tensor(shape, 77);
        return tf.concat([tf.sum(x, axes), tf.mean(x, axes)]);
      },
    });
  }
  // The fused BatchNorm + ReLU (model/batchnorm.ts) where the backend has it: forward (y and the
  // statistics), backward (dx, dγ, dβ) and a running statistic, on data whose mean is far from 0.
  if (fusedBatchNorm()) {
    for (const shape of [
      [16, 6, 6, 8],
      [32, 24],
    ]) {
      const C = shape[shape.length - 1];
      const n = size(shape) / C;
      const x = () => tf.add(tf.mul(tensor(shape, 81), 3), 20);
      const forward = () =>
        tf
          .engine()
          .runKernel(BN_TRAIN, { x: x(), gamma: tensor([C], 82), beta: tensor([C], 83) }, { eps: 1e-5, relu: true }) as tf.Tensor[];
      out.push({
        kernel: 'BatchNorm + ReLU (training)',
        label: shape.join('×'),
        run: () => {
          const [y, stats] = forward();
          const grads = tf
            .engine()
            .runKernel(BN_TRAIN_GRAD, { dy: tensor(shape, 84), x: x(), y, stats, gamma: tensor([C], 82) }, { relu: true }) as tf.Tensor[];
          const moved = tf.engine().runKernel(BN_RUNNING, { running: tensor([C], 85), stats }, { row: 1, momentum: 0.1, n }) as tf.Tensor;
          return tf.concat([y, stats, ...grads, moved].map((t) => tf.reshape(t, [-1])));
        },
      });
    }
  }
  // SGD's fused step (optim/sgd-step.ts), with and without weight decay.
  if (fusedSgdStep()) {
    for (const weightDecay of [5e-4, 0]) {
      out.push({
        kernel: 'SGD step',
        label: `weight decay ${weightDecay}`,
        run: () => {
          const [p, m, g] = [91, 92, 93].map((seed) => tensor([37, 19], seed));
          const next = tf.engine().runKernel(SGD_STEP, { p, m, g }, { lr: 0.05, momentum: 0.9, weightDecay }) as tf.Tensor[];
          return tf.concat(next.map((t) => tf.reshape(t, [-1])));
        },
      });
    }
  }
  return out;
}

const valuesOf = async (run: () => tf.Tensor) => {
  const t = tf.tidy(run);
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
};

/**
 * With the WASM kernel pool running: every case with each native call split over the threads
 * against the same case on the calling thread alone. The split must not change one bit.
 */
async function checkSplit(): Promise<KernelCheckReport['split']> {
  const pool = tf.getBackend() === 'wasm' ? nativeKernels(tf.backend() as unknown as BackendWasm)?.pool : null;
  if (!pool || pool.ready === 0) return undefined;
  const saved = { ...poolOptions };
  let differ = 0;
  const all = cases();
  try {
    for (const c of all) {
      Object.assign(poolOptions, { minWork: 0, off: false });
      const split = new Uint32Array((await valuesOf(c.run)).buffer);
      poolOptions.off = true;
      const whole = new Uint32Array((await valuesOf(c.run)).buffer);
      if (split.length !== whole.length || split.some((v, i) => v !== whole[i])) differ++;
    }
  } finally {
    Object.assign(poolOptions, saved);
  }
  return { threads: pool.ready + 1, cases: all.length, differ };
}

/** Runs every case on the active backend and on cpu; leaves the active backend active. */
export async function checkKernels(): Promise<KernelCheckReport> {
  const active = tf.getBackend();
  const t0 = performance.now();
  const results: KernelCheckReport['cases'] = [];
  for (const c of cases()) {
    const on = async (backend: string) => {
      await tf.setBackend(backend);
      return valuesOf(c.run);
    };
    let error: number;
    let message: string | undefined;
    try {
      const got = await on(active);
      const want = await on('cpu');
      let diff = got.length === want.length ? 0 : Infinity;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        diff = Math.max(diff, Number.isFinite(got[i]) ? Math.abs(got[i] - want[i]) : Infinity);
        scale = Math.max(scale, Math.abs(want[i]));
      }
      error = scale === 0 ? diff : diff / scale;
    } catch (e) {
      error = Infinity;
      message = errorMessage(e);
    } finally {
      await tf.setBackend(active);
    }
    results.push({ kernel: c.kernel, label: c.label, error, ok: error <= KERNEL_CHECK_TOLERANCE, message });
  }
  const split = await checkSplit();
  return { backend: active, tolerance: KERNEL_CHECK_TOLERANCE, ms: Math.round(performance.now() - t0), cases: results, split };
}
