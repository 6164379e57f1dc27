// Building blocks with explicit variables: every weight has a stable name (for checkpoints), and
// BatchNorm keeps its running statistics as non-trainable variables updated in training mode.
import * as tf from '@tensorflow/tfjs';
import {
  BN_RUNNING,
  BN_TRAIN,
  BN_TRAIN_GRAD,
  type BnRunningAttrs,
  type BnTrainAttrs,
  type BnTrainGradAttrs,
  fusedBatchNorm,
} from './batchnorm';

export interface Param {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
}

/** Collects a model's variables in creation order, with seeds derived from one run seed. */
// TF.js variable names are global to the engine; a counter keeps two models' names apart.
let variableCount = 0;

export class ParamStore {
  readonly params: Param[] = [];
  private nextSeed: number;
  constructor(seed: number) {
    this.nextSeed = seed * 7919 + 1;
  }
  private add(name: string, init: tf.Tensor, trainable: boolean): tf.Variable {
    const variable = tf.variable(init, trainable, `${name}#${variableCount++}`);
    init.dispose();
    this.params.push({ name, variable, trainable });
    return variable;
  }
  /** He-normal (fan_in), as torch's kaiming init for ReLU nets; shape [..., fanIn-dims, out]. */
  heNormal(name: string, shape: number[], fanIn: number): tf.Variable {
    return this.add(name, tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', this.nextSeed++), true);
  }
  /** Keras's glorot_uniform (its default kernel init): U(−l, l), l = sqrt(6 / (fanIn + fanOut)). */
  glorotUniform(name: string, shape: number[], fanIn: number, fanOut: number): tf.Variable {
    const l = Math.sqrt(6 / (fanIn + fanOut));
    return this.add(name, tf.randomUniform(shape, -l, l, 'float32', this.nextSeed++), true);
  }
  /** torch nn.Linear default: U(−1/sqrt(fanIn), 1/sqrt(fanIn)). */
  uniformFanIn(name: string, shape: number[], fanIn: number): tf.Variable {
    const b = 1 / Math.sqrt(fanIn);
    return this.add(name, tf.randomUniform(shape, -b, b, 'float32', this.nextSeed++), true);
  }
  /** timm's trunc_normal_(std) for ViT weights; TF.js truncates at 2 std (timm at ±2, the same for std ≤ 1). */
  truncNormal(name: string, shape: number[], std: number): tf.Variable {
    return this.add(name, tf.truncatedNormal(shape, 0, std, 'float32', this.nextSeed++), true);
  }
  constant(name: string, shape: number[], value: number, trainable: boolean): tf.Variable {
    return this.add(name, tf.fill(shape, value), trainable);
  }
  trainable(): tf.Variable[] {
    return this.params.filter((p) => p.trainable).map((p) => p.variable);
  }
  dispose(): void {
    for (const p of this.params) p.variable.dispose();
    this.params.length = 0;
  }
}

export interface BatchNorm {
  gamma: tf.Variable; // [c], trainable
  beta: tf.Variable; // [c], trainable
  runningMean: tf.Variable; // [c]
  runningVar: tf.Variable; // [c]
  eps: number;
  momentum: number; // torch's: running = (1 − momentum)·running + momentum·batch
}

/** torch's BatchNorm defaults. */
export const TORCH_BN = { eps: 1e-5, momentum: 0.1 } as const;
/** Keras's, as keras/src/applications/resnet_v2.py builds them: epsilon 1.001e-5, momentum 0.99
 *  (Keras weighs the old value by its momentum: torch's 0.01). */
export const KERAS_BN = { eps: 1.001e-5, momentum: 0.01 } as const;

export function batchNormParams(store: ParamStore, name: string, c: number, o: { eps: number; momentum: number } = TORCH_BN): BatchNorm {
  return {
    gamma: store.constant(`${name}.weight`, [c], 1, true),
    beta: store.constant(`${name}.bias`, [c], 0, true),
    runningMean: store.constant(`${name}.running_mean`, [c], 0, false),
    runningVar: store.constant(`${name}.running_var`, [c], 1, false),
    eps: o.eps,
    momentum: o.momentum,
  };
}

// Recomputation replays a forward pass whose statistics were already taken once this step.
let replaying = 0;

/** Runs `f` with BatchNorm's running-statistics updates off (workers/train/recompute.ts). */
export function replay<T>(f: () => T): T {
  replaying++;
  try {
    return f();
  } finally {
    replaying--;
  }
}

/**
 * BatchNorm over every axis but the last (NHWC or [B, c]), then ReLU with `relu`. In training mode
 * it normalizes with the batch's biased variance and moves the running statistics with the
 * unbiased one, as torch. The running-stat assignment happens inside the gradient scope on
 * purpose: TF.js tapes only trainable variables, so it is not differentiated. Training runs as
 * one fused kernel per direction where the backend has them (./batchnorm.ts).
 */
export function batchNorm(x: tf.Tensor, bn: BatchNorm, training: boolean, relu = false): tf.Tensor {
  if (!training) {
    const y = tf.batchNorm(x, bn.runningMean, bn.runningVar, bn.beta, bn.gamma, bn.eps);
    return relu ? tf.relu(y) : y;
  }
  if (fusedBatchNorm()) return fusedBatchNormTraining(x, bn, relu);
  const y = batchNormTraining(x, bn.gamma, bn.beta, bn);
  return relu ? tf.relu(y) : y;
}

/** Moves the running statistics by torch's rule, from the batch's mean and biased variance over n values. */
function updateRunningStats(bn: BatchNorm, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
  if (replaying) return;
  const m = bn.momentum;
  bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
  bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1))));
}

/** Training-mode BatchNorm (+ ReLU) as the backend's fused kernels (./batchnorm.ts); it keeps
 *  x and y for the backward pass, which recomputes x̂ from them. */
function fusedBatchNormTraining(x: tf.Tensor, bn: BatchNorm, relu: boolean): tf.Tensor {
  const n = x.size / x.shape[x.rank - 1];
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
    tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, stats] = run(BN_TRAIN, { x: input, gamma: g, beta: b }, { eps: bn.eps, relu } satisfies BnTrainAttrs) as tf.Tensor[];
    if (!replaying) {
      for (const [row, running] of [
        [0, bn.runningMean],
        [1, bn.runningVar],
      ] as const) {
        running.assign(run(BN_RUNNING, { running, stats }, { row, momentum: bn.momentum, n } satisfies BnRunningAttrs) as tf.Tensor);
      }
    }
    save([input, y, stats, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ys, st, gam] = saved;
        const grad: BnTrainGradAttrs = { relu };
        return run(BN_TRAIN_GRAD, { dy: dy as tf.Tensor, x: xs, y: ys, stats: st, gamma: gam }, grad) as tf.Tensor[];
      },
    };
  });
  return f(x, bn.gamma, bn.beta) as tf.Tensor;
}

/**
 * Training-mode BatchNorm as one taped op with a hand-written gradient (Ioffe & Szegedy 2015,
 * eq. for ∂ℓ/∂x): with x̂ the normalized input, σ⁻¹ = 1/√(var + eps) and sums over the N values
 * of a channel, dx = γ·σ⁻¹ · (dy − Σdy/N − x̂·Σ(dy·x̂)/N), dγ = Σ(dy·x̂), dβ = Σdy.
 * Why: TF.js's own route (moments, then FusedBatchNorm) tapes a dozen full-size tensors per
 * BatchNorm and its gradient builds more outside any tidy, all held until the backward pass ends
 * (tfjs-core tape.ts); this keeps x̂ alone and frees the gradient's temporaries at once.
 */
function batchNormTraining(x: tf.Tensor, gamma: tf.Variable, beta: tf.Variable, bn: BatchNorm): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.rank - 1];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, axes);
    updateRunningStats(bn, mean, variance, n);
    const invStd = tf.rsqrt(tf.add(variance, bn.eps)); // [c]
    const xhat = tf.mul(tf.sub(input, mean), invStd);
    save([xhat, invStd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xh, inv, gam] = saved;
          const d = dy as tf.Tensor;
          const dBeta = tf.sum(d, axes); // [c]
          const dGamma = tf.sum(tf.mul(d, xh), axes); // [c]
          const centred = tf.sub(tf.sub(d, tf.div(dBeta, n)), tf.mul(xh, tf.div(dGamma, n)));
          return [tf.mul(centred, tf.mul(gam, inv)), dGamma, dBeta];
        }),
    };
  });
  return f(x, gamma, beta) as tf.Tensor;
}

export interface Dense {
  kernel: tf.Variable; // [in, out]
  bias: tf.Variable | null; // [out]
}

export function denseParams(store: ParamStore, name: string, inDim: number, outDim: number, bias: boolean): Dense {
  return {
    kernel: store.uniformFanIn(`${name}.weight`, [inDim, outDim], inDim),
    bias: bias ? store.uniformFanIn(`${name}.bias`, [outDim], inDim) : null,
  };
}

/** [B, in] -> [B, out]; one fused kernel for matMul + bias. */
export function dense(x: tf.Tensor2D, p: Dense): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: p.kernel as tf.Tensor2D, bias: p.bias ?? undefined }) as tf.Tensor2D;
}

/**
 * A bias-free conv kernel [k, k, cin, cout] with torchvision's ResNet/MobileNetV2 init,
 * kaiming_normal_(mode='fan_out', nonlinearity='relu'): std = sqrt(2 / (k·k·cout)).
 */
export function convKernel(store: ParamStore, name: string, k: number, cin: number, cout: number): tf.Variable {
  return store.heNormal(name, [k, k, cin, cout], k * k * cout);
}

/** Depthwise kernel [k, k, c, 1]; torch's fan_out of a grouped conv with c groups is k·k. */
export function depthwiseKernel(store: ParamStore, name: string, k: number, c: number): tf.Variable {
  return store.heNormal(name, [k, k, c, 1], k * k);
}

/** [B, H, W, cin] -> [B, Ho, Wo, cout] with torch's symmetric zero padding (Ho = ⌊(H + 2·pad − k) / s⌋ + 1). */
export function conv(x: tf.Tensor4D, kernel: tf.Variable, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, kernel as tf.Tensor4D, stride, pad);
}

export interface LayerNorm {
  gamma: tf.Variable; // [d]
  beta: tf.Variable; // [d]
}

export function layerNormParams(store: ParamStore, name: string, d: number): LayerNorm {
  return { gamma: store.constant(`${name}.weight`, [d], 1, true), beta: store.constant(`${name}.bias`, [d], 0, true) };
}

const LN_EPS = 1e-6; // timm's ViT: partial(nn.LayerNorm, eps=1e-6)

/** LayerNorm over the last axis, any rank. */
export function layerNorm(x: tf.Tensor, ln: LayerNorm): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), ln.gamma), ln.beta);
}

/** Exact GELU, 0.5·x·(1 + erf(x / √2)), as torch nn.GELU() (timm's ViT MLP). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}
