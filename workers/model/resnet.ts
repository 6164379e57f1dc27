// ResNet-18/34 (basic blocks) and ResNet-50 (bottleneck blocks, stride on the 3×3 conv as
// torchvision v1.5), as the official VICReg resnet.py without its fc layer: the feature is the
// global average pool of the last stage. Names follow torchvision (conv1, bn1, layer1.0.conv1, ...,
// layer2.0.downsample.0/1) under "backbone.".
//   stem 'cifar':    3×3 conv stride 1, no max-pool (solo-learn / SimCLR CIFAR variant)
//   stem 'imagenet': 7×7 conv stride 2 pad 3, max-pool 3×3 stride 2 pad 1 (He et al. 2016)
// zeroInit: the last BN of each block starts with gamma = 0, so every block starts as the identity
// (Goyal et al. 2017; main_vicreg.py builds its backbone with zero_init_residual=True).
import type { TrainConfig } from '../contract/config';
import * as tf from '@tensorflow/tfjs';
import { resnetPlan, type ConvPlan, type ResnetBlockPlan, type ResnetName } from './arch';
import { blockSegments, pooledEncoder, type Encoder, type Segment } from './encoder';
import { batchNorm, batchNormParams, conv, convKernel, type BatchNorm, type ParamStore } from './layers';

interface ConvBn {
  plan: ConvPlan;
  kernel: tf.Variable; // [k, k, cin, cout]
  bn: BatchNorm;
}

function convBn(store: ParamStore, p: ConvPlan): ConvBn {
  return { plan: p, kernel: convKernel(store, `${p.name}.weight`, p.k, p.cin, p.cout), bn: batchNormParams(store, p.bn!, p.cout) };
}

/** conv (torch padding ⌊k/2⌋) then BN, then ReLU where the plan has one: [B, H, W, cin] -> [B, Ho, Wo, cout]. */
const applyConvBn = (x: tf.Tensor4D, l: ConvBn, training: boolean) =>
  batchNorm(conv(x, l.kernel, l.plan.stride, Math.floor(l.plan.k / 2)), l.bn, training, l.plan.relu) as tf.Tensor4D;

interface Block {
  convs: ConvBn[]; // basic: 3×3, 3×3; bottleneck: 1×1, 3×3 (strided), 1×1
  downsample: ConvBn | null;
}

function block(store: ParamStore, p: ResnetBlockPlan, zeroInit: boolean): Block {
  const convs = p.convs.map((c) => convBn(store, c));
  if (zeroInit) tf.tidy(() => convs[convs.length - 1].bn.gamma.assign(tf.zerosLike(convs[convs.length - 1].bn.gamma)));
  const downsample = p.downsample ? convBn(store, p.downsample) : null;
  return { convs, downsample };
}

function applyBlock(x: tf.Tensor4D, b: Block, training: boolean): tf.Tensor4D {
  const h = b.convs.reduce((t, l) => applyConvBn(t, l, training), x);
  const shortcut = b.downsample ? applyConvBn(x, b.downsample, training) : x;
  return tf.relu(tf.add(h, shortcut)) as tf.Tensor4D;
}

export interface ResnetOptions {
  widthMult: number;
  stem: TrainConfig['stem'];
  zeroInitResidual: boolean;
}

export function resnet(store: ParamStore, name: ResnetName, o: ResnetOptions): Encoder {
  const plan = resnetPlan(name, o.widthMult, o.stem);
  const stem = convBn(store, plan.stemConv);
  const blocks = plan.blocks.map((p) => block(store, p, o.zeroInitResidual));
  const stemSegment: Segment = (x, training) => {
    const h = applyConvBn(x as tf.Tensor4D, stem, training);
    return plan.pool ? tf.maxPool(h, 3, 2, 1) : h;
  };
  return pooledEncoder(plan.featureDim, [stemSegment, ...blockSegments(blocks, applyBlock)]);
}
