// ResNet50V2 as tf.keras.applications.ResNet50V2(include_top=False) builds it (plan and sources in
// arch.ts), the feature the global average pool of its last map, as the Adaptive VICReg seed
// (nkabra56/adaptive-vicreg-tf src/vicreg_tf/model.py) pools it. Parameter names are Keras's layer
// names under "backbone." ("backbone.conv3_block4_2_conv.weight"), each BatchNorm's four tensors
// under torch's names (weight, bias, running_mean, running_var), so a Keras h5 maps one to one; the
// PyTorch twin is workers/torch/models.py's ResNet50V2. timm's resnetv2_50 is a different network
// (stride on the first block, no conv biases), so its names are not used.
//   stem 'imagenet' (Keras's): 7×7 conv stride 2 pad 3 with bias, zero padding 1, max-pool 3×3 stride 2
//     (Keras pads with zeros before the pool, and the conv's output has no ReLU: zeros can win)
//   stem 'cifar': 3×3 conv stride 1 pad 1 with bias, no pool
// Init as Keras: glorot_uniform kernels, zero biases; BatchNorm epsilon 1.001e-5, momentum 0.99.
import type { TrainConfig } from '../contract/config';
import * as tf from '@tensorflow/tfjs';
import { resnetV2Plan, type ConvPlan, type PreactBlockPlan } from './arch';
import { blockSegments, pooledEncoder, type Encoder, type Segment } from './encoder';
import { batchNorm, batchNormParams, conv, KERAS_BN, type BatchNorm, type ParamStore } from './layers';

interface Conv {
  plan: ConvPlan;
  kernel: tf.Variable; // [k, k, cin, cout]
  bias: tf.Variable | null; // [cout]
}

function kerasConv(store: ParamStore, p: ConvPlan): Conv {
  const { name, k, cin, cout } = p;
  return {
    plan: p,
    kernel: store.glorotUniform(`${name}.weight`, [k, k, cin, cout], k * k * cin, k * k * cout),
    bias: p.bias ? store.constant(`${name}.bias`, [cout], 0, true) : null,
  };
}

/** Keras's ZeroPadding2D(⌊k/2⌋) + 'valid' conv, which is torch's symmetric padding: [B, H, W, cin] -> [B, Ho, Wo, cout]. */
function applyConv(x: tf.Tensor4D, c: Conv): tf.Tensor4D {
  const y = conv(x, c.kernel, c.plan.stride, Math.floor(c.plan.k / 2));
  return c.bias ? tf.add(y, c.bias) : y;
}

const kerasBn = (store: ParamStore, name: string, c: number) => batchNormParams(store, name, c, KERAS_BN);

interface Block {
  plan: PreactBlockPlan;
  preact: BatchNorm;
  shortcut: Conv | null; // _0_conv
  convs: [Conv, Conv, Conv]; // _1_conv 1×1, _2_conv 3×3 (strided), _3_conv 1×1 with bias
  bns: [BatchNorm, BatchNorm]; // _1_bn, _2_bn
}

function block(store: ParamStore, p: PreactBlockPlan): Block {
  const preact = kerasBn(store, p.preact, p.cin);
  const shortcut = p.shortcut ? kerasConv(store, p.shortcut) : null;
  const [p1, p2, p3] = p.convs;
  // The store's order is the checkpoint's and the seeded init's: each conv, then its BN, as Keras lists them.
  const c1 = kerasConv(store, p1);
  const b1 = kerasBn(store, p1.bn!, p1.cout);
  const c2 = kerasConv(store, p2);
  const b2 = kerasBn(store, p2.bn!, p2.cout);
  const c3 = kerasConv(store, p3);
  return { plan: p, preact, shortcut, convs: [c1, c2, c3], bns: [b1, b2] };
}

/**
 * Keras's MaxPooling2D(1, strides=s): every s-th pixel from the first, ⌈H/s⌉ × ⌈W/s⌉. As pad, reshape
 * and slice, whose gradients TF.js has on every backend: a 1×1 tf.maxPool's gradient came out
 * wrong on WASM (tfjs 4.22; 63% relative error against the CPU backend), and StridedSlice has none.
 * [B, H, W, C] -> [B, ⌈H/s⌉, ⌈W/s⌉, C].
 */
export function subsample(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const [ho, wo] = [Math.ceil(h / s), Math.ceil(w / s)];
  const padded =
    ho * s > h || wo * s > w
      ? tf.pad(x, [
          [0, 0],
          [0, ho * s - h],
          [0, wo * s - w],
          [0, 0],
        ])
      : x;
  const grid = tf.reshape(padded, [b, ho, s, wo, s, c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [b, ho, 1, wo, 1, c]), [b, ho, wo, c]);
}

/** residual_block_v2: BN-ReLU first; the conv shortcut reads the pre-activation, the identity the
 *  raw input (subsampled where strided). [B, H, W, cin] -> [B, Ho, Wo, cout]. */
function applyBlock(x: tf.Tensor4D, b: Block, training: boolean): tf.Tensor4D {
  const pre = batchNorm(x, b.preact, training, true) as tf.Tensor4D;
  const shortcut = b.shortcut ? applyConv(pre, b.shortcut) : b.plan.stride > 1 ? subsample(x, b.plan.stride) : x;
  let h = batchNorm(applyConv(pre, b.convs[0]), b.bns[0], training, true) as tf.Tensor4D;
  h = batchNorm(applyConv(h, b.convs[1]), b.bns[1], training, true) as tf.Tensor4D;
  return tf.add(shortcut, applyConv(h, b.convs[2]));
}

export interface ResnetV2Options {
  widthMult: number;
  stem: TrainConfig['stem'];
}

export function resnetV2(store: ParamStore, o: ResnetV2Options): Encoder {
  const plan = resnetV2Plan(o.widthMult, o.stem);
  const stem = kerasConv(store, plan.stemConv);
  const blocks = plan.blocks.map((p) => block(store, p));
  const post = kerasBn(store, 'backbone.post_bn', plan.featureDim);
  const stemSegment: Segment = (x) => {
    const h = applyConv(x as tf.Tensor4D, stem);
    return plan.pool
      ? tf.maxPool(
          tf.pad(h, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
          3,
          2,
          'valid',
        )
      : h;
  };
  const postSegment: Segment = (h, training) => batchNorm(h, post, training, true); // post_bn, post_relu
  return pooledEncoder(plan.featureDim, [stemSegment, ...blockSegments(blocks, applyBlock), postSegment]);
}
