// ResNet-18/34 (basic blocks) and ResNet-50 (bottleneck blocks, stride on the 3×3 conv as
// torchvision v1.5), as the official VICReg resnet.py without its fc layer: the feature is the
// global average pool of the last stage. Names follow torchvision (conv1, bn1, layer1.0.conv1, ...,
// layer2.0.downsample.0/1) under "backbone.".
//   stem 'cifar':    3×3 conv stride 1, no max-pool (solo-learn / SimCLR CIFAR variant)
//   stem 'imagenet': 7×7 conv stride 2 pad 3, max-pool 3×3 stride 2 pad 1 (He et al. 2016)
// zeroInit: the last BN of each block starts with gamma = 0, so every block starts as the identity
// (Goyal et al. 2017; main_vicreg.py builds its backbone with zero_init_residual=True).
import * as tf from '@tensorflow/tfjs';
import { RESNETS, resnetPlan, type ResnetBlockPlan, type ResnetName } from './arch';
import { pooledEncoder, type Encoder, type Segment } from './encoder';
import { batchNorm, batchNormParams, conv, convKernel, type BatchNorm, type ParamStore } from './layers';

interface ConvBn {
  kernel: tf.Variable; // [k, k, cin, cout]
  bn: BatchNorm;
  k: number;
  stride: number;
}

function convBn(store: ParamStore, conv: string, bn: string, k: number, cin: number, cout: number, stride: number): ConvBn {
  return { kernel: convKernel(store, `${conv}.weight`, k, cin, cout), bn: batchNormParams(store, bn, cout), k, stride };
}

/** conv (torch padding ⌊k/2⌋) then BN, then ReLU with `relu`: [B, H, W, cin] -> [B, Ho, Wo, cout]. */
const applyConvBn = (x: tf.Tensor4D, l: ConvBn, training: boolean, relu = false) =>
  batchNorm(conv(x, l.kernel, l.stride, Math.floor(l.k / 2)), l.bn, training, relu) as tf.Tensor4D;

interface Block {
  convs: ConvBn[]; // basic: 3×3, 3×3; bottleneck: 1×1, 3×3 (strided), 1×1
  downsample: ConvBn | null;
}

function block(store: ParamStore, p: ResnetBlockPlan, bottleneck: boolean, zeroInit: boolean): Block {
  const n = `backbone.${p.name}`;
  const shapes: [number, number, number, number][] = bottleneck
    ? [
        [1, p.cin, p.planes, 1],
        [3, p.planes, p.planes, p.stride],
        [1, p.planes, p.cout, 1],
      ]
    : [
        [3, p.cin, p.planes, p.stride],
        [3, p.planes, p.cout, 1],
      ];
  const convs = shapes.map(([k, cin, cout, s], i) => convBn(store, `${n}.conv${i + 1}`, `${n}.bn${i + 1}`, k, cin, cout, s));
  if (zeroInit) tf.tidy(() => convs[convs.length - 1].bn.gamma.assign(tf.zerosLike(convs[convs.length - 1].bn.gamma)));
  const downsample = p.downsample ? convBn(store, `${n}.downsample.0`, `${n}.downsample.1`, 1, p.cin, p.cout, p.stride) : null;
  return { convs, downsample };
}

function applyBlock(x: tf.Tensor4D, b: Block, training: boolean): tf.Tensor4D {
  let h = x;
  b.convs.forEach((l, i) => {
    h = applyConvBn(h, l, training, i < b.convs.length - 1);
  });
  const shortcut = b.downsample ? applyConvBn(x, b.downsample, training) : x;
  return tf.relu(tf.add(h, shortcut)) as tf.Tensor4D;
}

export interface ResnetOptions {
  widthMult: number;
  stem: 'cifar' | 'imagenet';
  zeroInitResidual: boolean;
}

export function resnet(store: ParamStore, name: ResnetName, o: ResnetOptions): Encoder {
  const plan = resnetPlan(name, o.widthMult);
  const imagenet = o.stem === 'imagenet';
  const stem = convBn(store, 'backbone.conv1', 'backbone.bn1', imagenet ? 7 : 3, 3, plan.stem, imagenet ? 2 : 1);
  const bottleneck = RESNETS[name].block === 'bottleneck';
  const blocks = plan.blocks.map((p) => block(store, p, bottleneck, o.zeroInitResidual));
  const stemSegment: Segment = (x, training) => {
    const h = applyConvBn(x as tf.Tensor4D, stem, training, true);
    return imagenet ? tf.maxPool(h, 3, 2, 1) : h;
  };
  const maps: Segment[] = [
    stemSegment,
    ...blocks.map(
      (b): Segment =>
        (h, training) =>
          applyBlock(h as tf.Tensor4D, b, training),
    ),
  ];
  return pooledEncoder(plan.featureDim, maps);
}
