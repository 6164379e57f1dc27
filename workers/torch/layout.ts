// The studio's weight layouts against PyTorch's. TF.js keeps conv kernels HWIO [kh, kw, in, out],
// depthwise kernels [kh, kw, c, 1] and dense kernels [in, out]; PyTorch keeps nn.Conv2d weights
// OIHW [out, in, kh, kw], depthwise (groups = c) [c, 1, kh, kw] and nn.Linear weights [out, in].
// Everything else (biases, norms, running statistics, ViT's cls_token and pos_embed) is the same.
// The names already are torchvision's and timm's (workers/model/*.ts).
import type { Backbone } from '../contract/config';

export type Layout = 'conv' | 'depthwise' | 'dense' | 'plain';

/** Axis permutation from the studio's layout to PyTorch's (out[i] = in[perm[i]]). */
export const TO_TORCH: Record<Layout, number[] | null> = {
  conv: [3, 2, 0, 1], // HWIO -> OIHW
  depthwise: [2, 3, 0, 1], // [kh, kw, c, 1] -> [c, 1, kh, kw]
  dense: [1, 0], // [in, out] -> [out, in]
  plain: null,
};

/** The inverse permutation (PyTorch -> studio). */
export const inverse = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));

/**
 * The layout of a studio parameter, from its name and shape: rank 4 is a convolution (in
 * MobileNetV2, a 3×3 kernel with one output per channel is its depthwise conv; no other conv has
 * a single output channel there, as makeDivisible keeps widths ≥ 8), rank 2 a Linear weight.
 */
export function layoutOf(backbone: Backbone, name: string, shape: number[]): Layout {
  if (shape.length === 4)
    return backbone === 'mobilenetv2' && shape[3] === 1 && shape[2] > 1 && name.startsWith('backbone.features.') ? 'depthwise' : 'conv';
  if (shape.length === 2) return 'dense';
  return 'plain';
}

/** `values` of `shape` with its axes permuted: out[i0, i1, ...] = in[... at axis perm[k] ...]. */
export function permute(values: Float32Array, shape: number[], perm: number[]): { values: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) inStrides[i] = s;
  const strides = perm.map((p) => inStrides[p]); // input stride of each output axis
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0, from = 0; o < out.length; o++) {
    out[o] = values[from];
    for (let a = rank - 1; a >= 0; a--) {
      index[a]++;
      from += strides[a];
      if (index[a] < outShape[a]) break;
      from -= strides[a] * outShape[a];
      index[a] = 0;
    }
  }
  return { values: out, shape: outShape };
}
