// Vision Transformer (Dosovitskiy et al. 2021) in DeiT's Tiny (192 wide, 3 heads) and Small (384
// wide, 6 heads) sizes, as timm's vision_transformer.py: a p×p stride-p patch embedding, a class
// token, a learned position embedding, pre-norm blocks x + MHSA(LN(x)), x + MLP(LN(x)) with GELU,
// a final LayerNorm; the feature is the class token. No dropout (timm's default). Names follow timm.
// Init as timm's init_weights_vit_timm: Linear weights trunc_normal(0.02) with zero bias,
// pos_embed trunc_normal(0.02), cls_token normal(1e-6); the patch conv keeps torch's default.
import * as tf from '@tensorflow/tfjs';
import { vitPlan, type VitName } from './arch';
import { chain, type Encoder, type Segment } from './encoder';
import { dense, gelu, layerNorm, layerNormParams, type Dense, type LayerNorm, type ParamStore } from './layers';

function linear(store: ParamStore, name: string, inDim: number, outDim: number): Dense {
  return { kernel: store.truncNormal(`${name}.weight`, [inDim, outDim], 0.02), bias: store.constant(`${name}.bias`, [outDim], 0, true) };
}

interface Block {
  norm1: LayerNorm;
  qkv: Dense; // [D, 3D]
  proj: Dense; // [D, D]
  norm2: LayerNorm;
  fc1: Dense; // [D, 4D]
  fc2: Dense; // [4D, D]
}

export interface VitOptions {
  widthMult: number;
  patchSize: number;
  depth: number;
  imageSize: number; // fixes the number of position embeddings
}

export function vit(store: ParamStore, name: VitName, o: VitOptions): Encoder {
  const { dim: D, heads: H, headDim, tokens: N, hidden } = vitPlan(name, o.widthMult, o.patchSize, o.imageSize);
  const p = o.patchSize;
  const patchKernel = store.uniformFanIn('backbone.patch_embed.proj.weight', [p, p, 3, D], p * p * 3);
  const patchBias = store.uniformFanIn('backbone.patch_embed.proj.bias', [D], p * p * 3);
  const cls = store.truncNormal('backbone.cls_token', [1, 1, D], 1e-6);
  const pos = store.truncNormal('backbone.pos_embed', [1, N, D], 0.02);
  const blocks: Block[] = Array.from({ length: o.depth }, (_, i) => {
    const n = `backbone.blocks.${i}`;
    return {
      norm1: layerNormParams(store, `${n}.norm1`, D),
      qkv: linear(store, `${n}.attn.qkv`, D, 3 * D),
      proj: linear(store, `${n}.attn.proj`, D, D),
      norm2: layerNormParams(store, `${n}.norm2`, D),
      fc1: linear(store, `${n}.mlp.fc1`, D, hidden),
      fc2: linear(store, `${n}.mlp.fc2`, hidden, D),
    };
  });
  const norm = layerNormParams(store, 'backbone.norm', D);
  const scale = 1 / Math.sqrt(headDim);

  /** [B·N, D] -> [B, H, N, headDim] */
  const toHeads = (t: tf.Tensor, B: number) => tf.transpose(tf.reshape(t, [B, N, H, headDim]), [0, 2, 1, 3]);

  /** x [B·N, D] -> x + proj(softmax(q kᵀ / √headDim) v), all heads in one batched matmul. */
  function attention(x: tf.Tensor2D, b: Block, B: number): tf.Tensor2D {
    const [q, k, v] = tf.split(dense(layerNorm(x, b.norm1) as tf.Tensor2D, b.qkv), 3, 1);
    const scores = tf.matMul(toHeads(tf.mul(q, scale), B), toHeads(k, B), false, true); // [B, H, N, N]
    const out = tf.matMul(tf.softmax(scores), toHeads(v, B)); // [B, H, N, headDim]
    const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B * N, D]) as tf.Tensor2D;
    return tf.add(x, dense(merged, b.proj));
  }

  const mlp = (x: tf.Tensor2D, b: Block) =>
    tf.add(x, dense(gelu(dense(layerNorm(x, b.norm2) as tf.Tensor2D, b.fc1)) as tf.Tensor2D, b.fc2)) as tf.Tensor2D;

  /** [B, H, W, 3] -> the tokens [B·N, D] (the class token first in each image's N), plus position. */
  const embed: Segment = (x) => {
    const B = x.shape[0];
    const patches = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: patchKernel as tf.Tensor4D, strides: p, pad: 'valid', bias: patchBias }); // [B, g, g, D]
    if (patches.shape[1] * patches.shape[2] + 1 !== N) {
      throw new Error(
        `this ViT was built for ${N - 1} patches, got a ${x.shape[1]}×${x.shape[2]} image (${patches.shape[1]}×${patches.shape[2]} patches of ${p} px)`,
      );
    }
    const all = tf.concat([tf.broadcastTo(cls, [B, 1, D]), tf.reshape(patches, [B, N - 1, D])], 1); // [B, N, D]
    return tf.reshape(tf.add(all, pos), [B * N, D]);
  };
  /** Each block maps the tokens [B·N, D] to [B·N, D]. */
  const blockSegments = blocks.map(
    (b): Segment =>
      (h) =>
        mlp(attention(h as tf.Tensor2D, b, h.shape[0] / N), b),
  );
  const toTokens = [embed, ...blockSegments];
  /** The class token, then the final norm (per token, so taking the token first is the same): [B·N, D] -> [B, D]. */
  const classToken: Segment = (h) => {
    const B = h.shape[0] / N;
    return layerNorm(tf.reshape(tf.slice(tf.reshape(h, [B, N, D]), [0, 0, 0], [B, 1, D]), [B, D]), norm);
  };
  const segments = [...toTokens, classToken];

  return {
    featureDim: D,
    segments,
    forward: (x) => chain(segments, x, true) as tf.Tensor2D,
    map(x) {
      const B = x.shape[0];
      const g = Math.round(Math.sqrt(N - 1));
      // The patch tokens, normed, back on their g × g grid: [B, g, g, D].
      const tokens = tf.reshape(chain(toTokens, x, true), [B, N, D]);
      return tf.reshape(layerNorm(tf.slice(tokens, [0, 1, 0], [B, N - 1, D]), norm), [B, g, g, D]) as tf.Tensor4D;
    },
  };
}
