// The backbone readout an evaluation reads: the global average pool (the representation VICReg
// trains through its projector), or the last feature map average-pooled to a k × k grid and
// flattened. On small centred images (Fashion-MNIST) a global pool throws away the spatial layout
// that makes raw pixels a strong k-NN baseline; the grid keeps it (docs/recipes.md measures both).
import * as tf from '@tensorflow/tfjs';
import type { FeatPool } from '../contract/config';
import type { Encoder } from '../model/encoder';

/** Side of the pooled grid: 1 for the global pool. */
export const gridSide = (pool: FeatPool): number => (pool === 'global' ? 1 : pool === '2x2' ? 2 : 4);

/**
 * torch.nn.functional.adaptive_avg_pool2d(map, k).flatten(1) on an NHWC map: bin (i, j) averages
 * rows ⌊i·H/k⌋ .. ⌈(i+1)·H/k⌉ − 1 and the same for columns (bins overlap when H is not a multiple
 * of k, and repeat a row when H < k, as torch's). The output is ordered as torch flattens
 * [B, C, k, k]: channel-major, so an exported embedding matches PyTorch's.
 * map [B, H, W, C] -> [B, C·k·k].
 */
export function gridPool(map: tf.Tensor4D, k: number): tf.Tensor2D {
  const [b, h, w, c] = map.shape;
  return tf.tidy(() => {
    const bins: tf.Tensor2D[] = [];
    for (let i = 0; i < k; i++) {
      const y0 = Math.floor((i * h) / k),
        y1 = Math.ceil(((i + 1) * h) / k);
      for (let j = 0; j < k; j++) {
        const x0 = Math.floor((j * w) / k),
          x1 = Math.ceil(((j + 1) * w) / k);
        bins.push(tf.mean(tf.slice(map, [0, y0, x0, 0], [b, y1 - y0, x1 - x0, c]), [1, 2]) as tf.Tensor2D);
      }
    }
    return tf.reshape(tf.stack(bins, 2), [b, c * k * k]) as tf.Tensor2D; // [B, C, k·k] -> [B, C·k·k]
  });
}

/** Backbone features under `pool` in inference mode: [B, S, S, 3] -> [B, D]. */
export function readout(backbone: Encoder, x: tf.Tensor4D, pool: FeatPool): tf.Tensor2D {
  if (pool === 'global') return backbone.forward(x, false);
  return tf.tidy(() => gridPool(backbone.map(x, false), gridSide(pool)));
}
