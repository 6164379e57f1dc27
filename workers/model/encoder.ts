// The small CNN backbone: four 3×3 conv-BN-ReLU stages (stride 1, 2, 2, 2; width w, 2w, 4w, 8w)
// and global average pooling. Feature dimension 8w. Sized for quick runs on a laptop CPU.
import * as tf from '@tensorflow/tfjs';
import { batchNorm, batchNormParams, type BatchNorm, type ParamStore } from './layers';

interface Stage {
  kernel: tf.Variable; // [3, 3, cin, cout]; no bias, BatchNorm follows
  bn: BatchNorm;
  stride: number;
}

export interface Encoder {
  featureDim: number;
  /** The global feature: [B, H, W, 3] -> [B, featureDim]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** The last feature map before the global pool, [B, h, w, featureDim] (a ViT: its patch tokens
   *  on their grid), for readouts that keep the spatial layout (workers/eval/readout.ts). */
  map(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

export function smallCnn(store: ParamStore, width: number): Encoder {
  const channels = [3, width, 2 * width, 4 * width, 8 * width];
  const strides = [1, 2, 2, 2];
  const stages: Stage[] = strides.map((stride, i) => ({
    kernel: store.heNormal(`backbone.conv${i + 1}.weight`, [3, 3, channels[i], channels[i + 1]], 9 * channels[i]),
    bn: batchNormParams(store, `backbone.bn${i + 1}`, channels[i + 1]),
    stride,
  }));
  const map = (x: tf.Tensor4D, training: boolean) => {
    let h: tf.Tensor4D = x;
    for (const s of stages) {
      h = tf.relu(batchNorm(tf.conv2d(h, s.kernel as tf.Tensor4D, s.stride, 'same'), s.bn, training)) as tf.Tensor4D;
    }
    return h;
  };
  return {
    featureDim: channels[4],
    map,
    forward: (x, training) => tf.mean(map(x, training), [1, 2]) as tf.Tensor2D,
  };
}
