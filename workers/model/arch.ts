// The architectures as plain data: stage tables, channel rounding, output sizes, and every conv
// of the conv nets with its shape and torch name (ConvPlan), so a layer is described once. Its
// readers: the TF.js builders (encoder.ts, resnet.ts, resnetv2.ts, mobilenetv2.ts, vit.ts) build
// these plans, the model card (workers/model/card.ts) counts them, the TF.js layers export
// (workers/checkpoint/layers-model.ts) walks them as layers, and the PyTorch import
// (workers/torch/import.ts) fits MobileNetV2's plan to a file's widths. The UI imports card.ts: no TF.js here.
import type { TrainConfig } from '../contract/config';

/** The config fields that decide the backbone's shape. */
export type BackboneConfig = Pick<TrainConfig, 'backbone' | 'width' | 'widthMult' | 'stem' | 'zeroInitResidual' | 'patchSize' | 'vitDepth'>;

/** torch's conv/pool output side: ⌊(n + 2·pad − k) / stride⌋ + 1. */
export const outSize = (n: number, k: number, stride: number, pad: number) => Math.floor((n + 2 * pad - k) / stride) + 1;

/**
 * One conv as torch declares it, padding ⌊k/2⌋ (every conv of these nets), with the BatchNorm
 * that follows it. Names are the module paths under "backbone." (the weight is `${name}.weight`),
 * so a plan also fixes the checkpoint's names and their order.
 */
export interface ConvPlan {
  name: string; // "backbone.layer2.0.conv2"
  k: number;
  cin: number;
  cout: number;
  stride: number;
  depthwise: boolean; // groups = cin = cout (MobileNetV2's 3×3)
  bias: boolean;
  bn: string | null; // the BatchNorm after it: "backbone.layer2.0.bn2"
  relu: boolean; // an activation after the BatchNorm (ReLU6 in MobileNetV2); a block's last waits for the residual add
}

const convPlan = (name: string, k: number, cin: number, cout: number, stride: number, o: Partial<ConvPlan> = {}): ConvPlan => ({
  name,
  k,
  cin,
  cout,
  stride,
  depthwise: false,
  bias: false,
  bn: null,
  relu: false,
  ...o,
});

export type Stem = TrainConfig['stem'];

/**
 * The first conv of the ResNets: 'imagenet' 7×7 stride 2 and a 3×3 stride-2 max-pool after it
 * (He et al. 2016), 'cifar' 3×3 stride 1 and no pool (the CIFAR variant of solo-learn and SimCLR).
 */
function resnetStem(stem: Stem, name: string, cout: number, o: Partial<ConvPlan>): { stemConv: ConvPlan; pool: boolean } {
  const imagenet = stem === 'imagenet';
  return { stemConv: convPlan(name, imagenet ? 7 : 3, 3, cout, imagenet ? 2 : 1, o), pool: imagenet };
}

// The small CNN (encoder.ts): four 3×3 conv-BN-ReLU stages, stride 1, 2, 2, 2, width w, 2w, 4w, 8w.
export function smallCnnPlan(width: number): { convs: ConvPlan[]; featureDim: number } {
  const channels = [3, width, 2 * width, 4 * width, 8 * width];
  const convs = [1, 2, 2, 2].map((stride, i) =>
    convPlan(`backbone.conv${i + 1}`, 3, channels[i], channels[i + 1], stride, { bn: `backbone.bn${i + 1}`, relu: true }),
  );
  return { convs, featureDim: channels[4] };
}

// ResNet (He et al. 2016; torchvision resnet.py, which the official VICReg resnet.py copies).
const RESNETS = {
  resnet18: { block: 'basic', layers: [2, 2, 2, 2] },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
} as const;
export type ResnetName = keyof typeof RESNETS;
/** Output channels per input "plane": 1 for basic blocks, 4 for bottlenecks (torchvision expansion). */
const EXPANSION = { basic: 1, bottleneck: 4 } as const;
/** Planes of the stem and the four stages at widthMult 1 (torchvision: 64, 64, 128, 256, 512). */
const RESNET_PLANES = [64, 128, 256, 512];

/** Channels scaled by the width multiplier, at least 1. */
export const scaled = (c: number, mult: number) => Math.max(1, Math.round(c * mult));

export interface ResnetBlockPlan {
  name: string; // "layer2.0"
  cin: number;
  planes: number; // width of the block's inner convs
  cout: number; // planes · expansion
  stride: number; // on the first block of stages 2–4 (on the 3×3 conv, torchvision v1.5)
  convs: ConvPlan[]; // basic: 3×3, 3×3; bottleneck: 1×1, 3×3, 1×1; each with its BN
  downsample: ConvPlan | null; // 1×1 conv + BN on the shortcut when the shape changes
}

interface ResnetPlan {
  stem: number; // the stem's width
  stemConv: ConvPlan; // conv1 with bn1 and its ReLU
  pool: boolean; // the ImageNet stem's max-pool
  blocks: ResnetBlockPlan[];
  featureDim: number;
}

/** The stem and every block of a ResNet, in order. `stem` decides only stemConv and pool. */
export function resnetPlan(name: ResnetName, widthMult: number, stem: Stem): ResnetPlan {
  const { block, layers } = RESNETS[name];
  const e = EXPANSION[block];
  const width = scaled(64, widthMult);
  const blocks: ResnetBlockPlan[] = [];
  let cin = width;
  layers.forEach((count, stage) => {
    const planes = scaled(RESNET_PLANES[stage], widthMult);
    const cout = planes * e;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const n = `backbone.layer${stage + 1}.${i}`;
      const shapes: [number, number, number, number][] =
        block === 'bottleneck'
          ? [
              [1, cin, planes, 1],
              [3, planes, planes, stride],
              [1, planes, cout, 1],
            ]
          : [
              [3, cin, planes, stride],
              [3, planes, cout, 1],
            ];
      blocks.push({
        name: `layer${stage + 1}.${i}`,
        cin,
        planes,
        cout,
        stride,
        // torchvision's names: conv1/bn1, ...; the ReLU of the last conv comes after the residual add.
        convs: shapes.map(([k, ci, co, s], j) =>
          convPlan(`${n}.conv${j + 1}`, k, ci, co, s, { bn: `${n}.bn${j + 1}`, relu: j < shapes.length - 1 }),
        ),
        downsample: stride !== 1 || cin !== cout ? convPlan(`${n}.downsample.0`, 1, cin, cout, stride, { bn: `${n}.downsample.1` }) : null,
      });
      cin = cout;
    }
  });
  const stemPlan = resnetStem(stem, 'backbone.conv1', width, { bn: 'backbone.bn1', relu: true });
  return { stem: width, ...stemPlan, blocks, featureDim: cin };
}

// ResNet50V2 (He et al. 2016b, "Identity Mappings in Deep Residual Networks": pre-activation
// blocks) exactly as Keras builds it (keras/src/applications/resnet_v2.py, stack_residual_blocks_v2
// and residual_block_v2): four stacks of bottlenecks whose stride sits on the LAST block of a stack
// (torchvision's v1.5 and timm's resnetv2 put it on the first), a 1×1 conv shortcut only on each
// stack's first block, an identity (subsampled where strided) elsewhere, and BatchNorm + ReLU after
// the last stack ("post_bn"). Convs that no BatchNorm follows carry a bias.
/** Per stack: filters (the bottleneck width), blocks, and the stride of its last block. */
export const RESNET50V2_STACKS = [
  [64, 3, 2],
  [128, 4, 2],
  [256, 6, 2],
  [512, 3, 1],
] as const;

export interface PreactBlockPlan {
  name: string; // Keras's layer prefix: "conv3_block4"
  cin: number;
  filters: number; // width of the inner convs
  cout: number; // 4 · filters
  stride: number; // on the 3×3 conv, and the shortcut's subsampling
  convShortcut: boolean; // 1×1 conv (with bias) on the pre-activation, the stack's first block
  preact: string; // the BatchNorm (then ReLU) before everything: "backbone.conv3_block4_preact_bn"
  shortcut: ConvPlan | null; // _0_conv where convShortcut
  convs: [ConvPlan, ConvPlan, ConvPlan]; // _1_conv 1×1 + _1_bn, _2_conv 3×3 (strided) + _2_bn, _3_conv 1×1 with bias
}

interface ResnetV2Plan {
  stem: number; // the stem's width
  stemConv: ConvPlan; // conv1_conv, with bias and no BatchNorm
  pool: boolean; // the ImageNet stem's zero padding and max-pool (pool1_pad, pool1_pool)
  blocks: PreactBlockPlan[];
  featureDim: number;
}

/** The stem and every block of ResNet50V2 at a width multiplier. `stem` decides only stemConv and pool. */
export function resnetV2Plan(widthMult: number, stem: Stem): ResnetV2Plan {
  const width = scaled(64, widthMult);
  const blocks: PreactBlockPlan[] = [];
  let cin = width;
  RESNET50V2_STACKS.forEach(([f, count, lastStride], stack) => {
    const filters = scaled(f, widthMult);
    const cout = 4 * filters;
    for (let i = 0; i < count; i++) {
      const name = `conv${stack + 2}_block${i + 1}`;
      const n = `backbone.${name}`;
      const stride = i === count - 1 ? lastStride : 1;
      blocks.push({
        name,
        cin,
        filters,
        cout,
        stride,
        convShortcut: i === 0,
        preact: `${n}_preact_bn`,
        shortcut: i === 0 ? convPlan(`${n}_0_conv`, 1, cin, cout, stride, { bias: true }) : null,
        convs: [
          convPlan(`${n}_1_conv`, 1, cin, filters, 1, { bn: `${n}_1_bn`, relu: true }),
          convPlan(`${n}_2_conv`, 3, filters, filters, stride, { bn: `${n}_2_bn`, relu: true }),
          convPlan(`${n}_3_conv`, 1, filters, cout, 1, { bias: true }),
        ],
      });
      cin = cout;
    }
  });
  return { stem: width, ...resnetStem(stem, 'backbone.conv1_conv', width, { bias: true }), blocks, featureDim: cin };
}

// MobileNetV2 (Sandler et al. 2018; torchvision mobilenetv2.py).
/** Inverted residual settings: expansion t, output channels c, repeats n, first stride s. */
export const MOBILENETV2_SETTINGS = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
] as const;

/** torchvision's _make_divisible: nearest multiple of `d`, at least `d`, never 10% below `v`. */
export function makeDivisible(v: number, d = 8): number {
  const n = Math.max(d, Math.floor(v + d / 2) - (Math.floor(v + d / 2) % d));
  return n < 0.9 * v ? n + d : n;
}

export interface InvertedResidualPlan {
  index: number; // position in torchvision's `features` (1-based after the first conv)
  cin: number;
  hidden: number; // cin · t (torchvision rounds it)
  cout: number;
  stride: number;
  expand: boolean; // t ≠ 1: a 1×1 expansion conv first
  residual: boolean; // stride 1 and cin = cout
  convs: ConvPlan[]; // [1×1 expansion], 3×3 depthwise (strided), 1×1 linear projection; each with its BN
}

export interface MobilenetV2Plan {
  first: number; // width of the first conv
  firstConv: ConvPlan; // features.0: 3×3 stride 2
  blocks: InvertedResidualPlan[];
  last: number; // width of the last conv, the feature
  lastConv: ConvPlan; // features.(blocks + 1): 1×1
}

export function mobilenetV2Plan(widthMult: number): MobilenetV2Plan {
  const first = makeDivisible(32 * widthMult);
  const last = makeDivisible(1280 * Math.max(1, widthMult));
  const blocks: InvertedResidualPlan[] = [];
  let cin = first;
  for (const [t, c, count, s] of MOBILENETV2_SETTINGS) {
    const cout = makeDivisible(c * widthMult);
    for (let i = 0; i < count; i++) {
      const stride = i === 0 ? s : 1;
      const index = blocks.length + 1;
      const hidden = Math.round(cin * t);
      const expand = t !== 1;
      // torchvision numbers the block's Sequential: [ConvBNReLU(expand)], ConvBNReLU(dw), conv (project), BN.
      const n = `backbone.features.${index}.conv`;
      const at = expand ? 1 : 0;
      const convs = [
        ...(expand ? [convPlan(`${n}.0.0`, 1, cin, hidden, 1, { bn: `${n}.0.1`, relu: true })] : []),
        convPlan(`${n}.${at}.0`, 3, hidden, hidden, stride, { depthwise: true, bn: `${n}.${at}.1`, relu: true }),
        convPlan(`${n}.${at + 1}`, 1, hidden, cout, 1, { bn: `${n}.${at + 2}` }),
      ];
      blocks.push({ index, cin, hidden, cout, stride, expand, residual: stride === 1 && cin === cout, convs });
      cin = cout;
    }
  }
  const f = (i: number) => `backbone.features.${i}`;
  return {
    first,
    firstConv: convPlan(`${f(0)}.0`, 3, 3, first, 2, { bn: `${f(0)}.1`, relu: true }),
    blocks,
    last,
    lastConv: convPlan(`${f(blocks.length + 1)}.0`, 1, cin, last, 1, { bn: `${f(blocks.length + 1)}.1`, relu: true }),
  };
}

// ViT (Dosovitskiy et al. 2021; DeiT's Tiny and Small sizes, timm vision_transformer.py).
export const VITS = {
  'vit-tiny': { dim: 192, heads: 3 },
  'vit-small': { dim: 384, heads: 6 },
} as const;
export type VitName = keyof typeof VITS;
export const MLP_RATIO = 4;

/** Width, heads and token count: the head width (64) scales with widthMult, the heads do not. */
export function vitPlan(name: VitName, widthMult: number, patchSize: number, imageSize: number) {
  const { dim, heads } = VITS[name];
  const headDim = scaled(dim / heads, widthMult);
  const grid = Math.floor(imageSize / patchSize); // patches per side ('valid' patch embedding)
  if (grid < 1) throw new Error(`a ViT needs patchSize (${patchSize}) at most the image size (${imageSize})`);
  return { dim: heads * headDim, heads, headDim, grid, tokens: grid * grid + 1, hidden: MLP_RATIO * heads * headDim };
}
