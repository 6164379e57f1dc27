// The small CNN backbone: four 3×3 conv-BN-ReLU stages (stride 1, 2, 2, 2; width w, 2w, 4w, 8w)
// and global average pooling. Feature dimension 8w. Sized for quick runs on a laptop CPU.
import * as tf from '@tensorflow/tfjs';
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

export function smallCnn(store: ParamStore, width: number): Encoder {
  const channels = [3, width, 2 * width, 4 * width, 8 * width];
  const strides = [1, 2, 2, 2];
  const stages: Stage[] = strides.map((stride, i) => ({
    kernel: store.heNormal(`backbone.conv${i + 1}.weight`, [3, 3, channels[i], channels[i + 1]], 9 * channels[i]),
    bn: batchNormParams(store, `backbone.bn${i + 1}`, channels[i + 1]),
    stride,
  }));
  const convs: Segment[] = stages.map(
    (s) => (h, training) => batchNorm(tf.conv2d(h as tf.Tensor4D, s.kernel as tf.Tensor4D, s.stride, 'same'), s.bn, training, true),
  );
  return pooledEncoder(channels[4], convs);
}
