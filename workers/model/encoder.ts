// The small CNN backbone: four 3×3 conv-BN-ReLU stages (stride 1, 2, 2, 2; width w, 2w, 4w, 8w)
// and global average pooling. Feature dimension 8w. Sized for quick runs on a laptop CPU.
import * as tf from '@tensorflow/tfjs';
import { smallCnnPlan } from './arch';
import { batchNorm, batchNormParams, type BatchNorm, type ParamStore } from './layers';

interface Stage {
  kernel: tf.Variable; // [3, 3, cin, cout]; no bias, BatchNorm follows
  bn: BatchNorm;
  stride: number;
}

/** One piece of a backbone's forward pass: a stage, a residual block, a transformer block. */
export type Segment = (h: tf.Tensor, training: boolean) => tf.Tensor;

export interface Encoder {
  featureDim: number;
  /** The forward pass as a chain whose last segment gives the global feature [B, featureDim]:
   *  forward(x) = segments[n−1](…segments[0](x)). Recomputation (workers/train/recompute.ts) keeps
   *  only each segment's input and replays one segment at a time in the backward pass. */
  segments: Segment[];
  /** The global feature: [B, H, W, 3] -> [B, featureDim]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** The last feature map before the global pool, [B, h, w, featureDim] (a ViT: its patch tokens
   *  on their grid), for readouts that keep the spatial layout (workers/eval/readout.ts). */
  map(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** Runs `segments` in order from `x`. */
export const chain = (segments: Segment[], x: tf.Tensor, training: boolean): tf.Tensor => segments.reduce((h, s) => s(h, training), x);

/** The global average pool that ends the conv nets: [B, h, w, c] -> [B, c]. */
const globalPool: Segment = (h) => tf.mean(h, [1, 2]);

/** One segment per block of a conv net, so recomputation replays one block at a time. */
export const blockSegments = <B>(blocks: B[], apply: (x: tf.Tensor4D, b: B, training: boolean) => tf.Tensor): Segment[] =>
  blocks.map(
    (b): Segment =>
      (h, training) =>
        apply(h as tf.Tensor4D, b, training),
  );

/** A conv net as an Encoder: `maps` ([B, H, W, 3] to its last map, in segments), then the global pool. */
export function pooledEncoder(featureDim: number, maps: Segment[]): Encoder {
  const segments = [...maps, globalPool];
  return {
    featureDim,
    segments,
    map: (x, training) => chain(maps, x, training) as tf.Tensor4D,
    forward: (x, training) => chain(segments, x, training) as tf.Tensor2D, // [B, featureDim]
  };
}

/** smallCnnPlan of arch.ts with He-normal (fan-in) kernels. It pads 'same' (TF's, asymmetric at
 *  stride 2) rather than the plan's torch padding: the output sides agree, which is all the card reads. */
export function smallCnn(store: ParamStore, width: number): Encoder {
  const plan = smallCnnPlan(width);
  const stages: Stage[] = plan.convs.map((c) => ({
    kernel: store.heNormal(`${c.name}.weight`, [c.k, c.k, c.cin, c.cout], c.k * c.k * c.cin),
    bn: batchNormParams(store, c.bn!, c.cout),
    stride: c.stride,
  }));
  const convs: Segment[] = stages.map(
    (s) => (h, training) => batchNorm(tf.conv2d(h as tf.Tensor4D, s.kernel as tf.Tensor4D, s.stride, 'same'), s.bn, training, true),
  );
  return pooledEncoder(plan.featureDim, convs);
}
