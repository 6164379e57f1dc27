// The architectures as plain numbers: stage tables, channel rounding and output sizes. Shared by
// the TF.js builders (resnet.ts, mobilenetv2.ts, vit.ts) and the model card (card.ts), which the UI
// imports: no TF.js here.
import type { TrainConfig } from '../contract/config';

/** The config fields that decide the backbone's shape. */
export type BackboneConfig = Pick<TrainConfig, 'backbone' | 'width' | 'widthMult' | 'stem' | 'zeroInitResidual' | 'patchSize' | 'vitDepth'>;

/** torch's conv/pool output side: ⌊(n + 2·pad − k) / stride⌋ + 1. */
export const outSize = (n: number, k: number, stride: number, pad: number) => Math.floor((n + 2 * pad - k) / stride) + 1;

// ResNet (He et al. 2016; torchvision resnet.py, which the official VICReg resnet.py copies).
export const RESNETS = {
  resnet18: { block: 'basic', layers: [2, 2, 2, 2] },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
} as const;
export type ResnetName = keyof typeof RESNETS;
/** Output channels per input "plane": 1 for basic blocks, 4 for bottlenecks (torchvision expansion). */
export const EXPANSION = { basic: 1, bottleneck: 4 } as const;
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
  downsample: boolean; // 1×1 conv + BN on the shortcut when the shape changes
}

/** The stem's width and every block of a ResNet, in order. */
export function resnetPlan(name: ResnetName, widthMult: number): { stem: number; blocks: ResnetBlockPlan[]; featureDim: number } {
  const { block, layers } = RESNETS[name];
  const e = EXPANSION[block];
  const stem = scaled(64, widthMult);
  const blocks: ResnetBlockPlan[] = [];
  let cin = stem;
  layers.forEach((n, stage) => {
    const planes = scaled(RESNET_PLANES[stage], widthMult);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      blocks.push({
        name: `layer${stage + 1}.${i}`,
        cin,
        planes,
        cout: planes * e,
        stride,
        downsample: stride !== 1 || cin !== planes * e,
      });
      cin = planes * e;
    }
  });
  return { stem, blocks, featureDim: cin };
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
}

/** The stem's width and every block of ResNet50V2 at a width multiplier. */
export function resnetV2Plan(widthMult: number): { stem: number; blocks: PreactBlockPlan[]; featureDim: number } {
  const stem = scaled(64, widthMult);
  const blocks: PreactBlockPlan[] = [];
  let cin = stem;
  RESNET50V2_STACKS.forEach(([f, n, lastStride], stack) => {
    const filters = scaled(f, widthMult);
    for (let i = 0; i < n; i++) {
      blocks.push({
        name: `conv${stack + 2}_block${i + 1}`,
        cin,
        filters,
        cout: 4 * filters,
        stride: i === n - 1 ? lastStride : 1,
        convShortcut: i === 0,
      });
      cin = 4 * filters;
    }
  });
  return { stem, blocks, featureDim: cin };
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
}

export function mobilenetV2Plan(widthMult: number): { first: number; blocks: InvertedResidualPlan[]; last: number } {
  const first = makeDivisible(32 * widthMult);
  const last = makeDivisible(1280 * Math.max(1, widthMult));
  const blocks: InvertedResidualPlan[] = [];
  let cin = first;
  for (const [t, c, n, s] of MOBILENETV2_SETTINGS) {
    const cout = makeDivisible(c * widthMult);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      blocks.push({
        index: blocks.length + 1,
        cin,
        hidden: Math.round(cin * t),
        cout,
        stride,
        expand: t !== 1,
        residual: stride === 1 && cin === cout,
      });
      cin = cout;
    }
  }
  return { first, blocks, last };
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
