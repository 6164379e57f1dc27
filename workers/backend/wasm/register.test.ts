// The studio's WASM kernels together (register.ts): the gradients of small nets and of every
// backbone's ops against the CPU backend's, no leaks, each kernel registered once however often
// registration runs, and our model training on WASM with cpu's losses.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { BACKBONES, DEFAULT_CONFIG } from '../../contract/config';
import { buildModel } from '../../model/model';
import { lars } from '../../optim/optimizers';
import { trainStep } from '../../train/step';
import { registerWasmGradKernels } from './register';
import { CASES, dyShapeOf, noteError, randomValues, relativeError, sizeOf, TOLERANCE, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

type Net = (x: tf.Tensor4D, w: tf.Variable[]) => tf.Scalar;

/**
 * The loss of `net` and its gradients on one backend, for seeded x of shape `x` and variables of
 * `shapes`: the variables' gradients, then x's where `ofInput`.
 */
async function grads(backend: 'cpu' | 'wasm', net: Net, x: number[], shapes: number[][], ofInput: boolean) {
  await tf.setBackend(backend);
  const xs = tf.tensor4d(randomValues(sizeOf(x), 7), x as [number, number, number, number]);
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(randomValues(sizeOf(s), 20 + i), s).mul(0.5)));
  const { value, grads: g } = tf.variableGrads(() => net(xs, vars), vars);
  const inputGrad = ofInput ? [tf.grad((t: tf.Tensor) => net(t as tf.Tensor4D, vars))(xs)] : [];
  const out = {
    loss: (await value.data())[0],
    grads: await Promise.all([...vars.map((v) => g[v.name]), ...inputGrad].map((t) => t.data() as Promise<Float32Array>)),
  };
  tf.dispose([xs, value, ...inputGrad, ...vars, ...Object.values(g)]);
  return out;
}

/** `net`'s loss and gradients on wasm against cpu's (x's gradient too where `ofInput`). */
const sameGradsAsCpu =
  (ofInput: boolean) =>
  async (what: string, net: Net, x: number[], ...shapes: number[][]): Promise<void> => {
    const want = await grads('cpu', net, x, shapes, ofInput);
    const got = await grads('wasm', net, x, shapes, ofInput);
    expect(got.loss).toBeCloseTo(want.loss, 4);
    got.grads.forEach((g, i) => {
      const err = relativeError(g, want.grads[i]);
      noteError(what, err);
      expect(err, `gradient ${i}`).toBeLessThanOrEqual(TOLERANCE);
    });
  };

describe('gradients of small nets on wasm', () => {
  const expectSameGrads = sameGradsAsCpu(false);

  it('conv2d -> relu -> conv2d stride 2 -> mean of squares', async () => {
    const net = (x: tf.Tensor4D, [w1, w2]: tf.Variable[]) =>
      tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), w2 as tf.Tensor4D, 2, 'same'))) as tf.Scalar;
    await expectSameGrads('conv net grads', net, [3, 9, 9, 3], [3, 3, 3, 5], [3, 3, 5, 4]);
  });

  it('depthwise conv (multiplier 2) -> relu -> 1×1 conv -> mean of squares', async () => {
    const net = (x: tf.Tensor4D, [w1, w2]: tf.Variable[]) =>
      tf.mean(
        tf.square(tf.conv2d(tf.relu(tf.depthwiseConv2d(x, w1 as tf.Tensor4D, 2, 'same')), w2 as tf.Tensor4D, 1, 'valid')),
      ) as tf.Scalar;
    await expectSameGrads('depthwise net grads', net, [2, 9, 10, 3], [3, 3, 3, 2], [1, 1, 6, 4]);
  });
});

describe("gradients of the new backbones' ops on wasm (kernels TF.js has there, checked all the same)", () => {
  const expectSameGrads = sameGradsAsCpu(true);

  it('MaxPoolGrad: ImageNet stem (7×7 stride 2 pad 3, ReLU, max-pool 3×3 stride 2 pad 1), ties at 0 included', async () => {
    const net = (x: tf.Tensor4D, [w]: tf.Variable[]) => {
      const h = tf.relu(tf.sub(tf.conv2d(x, w as tf.Tensor4D, 2, 3), 0.3)); // many exact zeros: ties in most windows
      return tf.mean(tf.square(tf.maxPool(h as tf.Tensor4D, 3, 2, 1))) as tf.Scalar;
    };
    await expectSameGrads('MaxPoolGrad', net, [2, 15, 14, 3], [7, 7, 3, 4]);
  });

  it('Relu6 and depthwise stride 2 with torch padding (MobileNetV2)', async () => {
    const net = (x: tf.Tensor4D, [w, d]: tf.Variable[]) =>
      tf.mean(
        tf.square(
          tf.relu6(tf.depthwiseConv2d(tf.relu6(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, 0), 4)) as tf.Tensor4D, d as tf.Tensor4D, 2, 1)),
        ),
      ) as tf.Scalar;
    await expectSameGrads('Relu6 + depthwise', net, [2, 9, 10, 3], [1, 1, 3, 6], [3, 3, 6, 1]);
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
    await expectSameGrads('LayerNorm + attention + GELU', net, [2, 6, 4, 2], [4, 4], [4, 4], [4, 4], [4, 8]);
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
        noteError(`${backbone} grads`, err);
        expect(err, name).toBeLessThanOrEqual(TOLERANCE);
      });
      const losses = await twoSteps('wasm', backbone);
      const reference = await twoSteps('cpu', backbone);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(Math.abs(losses[0] - reference[0]) / Math.abs(reference[0])).toBeLessThan(1e-3);
    }, 150_000); // ResNet-50 takes about 35 s here, most of it on the cpu backend
  }
});
