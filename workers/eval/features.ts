// Frozen features for evaluation: each image once, without augmentation (resized to imageSize,
// normalized with the dataset statistics), through the encoder in inference mode (BatchNorm
// running statistics), in chunks so that any dataset size fits.
import * as tf from '@tensorflow/tfjs';
import type { FeatPool, TrainConfig } from '../contract/config';
import { fromPixels, uploadBatch, type Dataset } from '../dataset/dataset';
import type { VicregModel } from '../model/model';
import { readout } from './readout';
import { nextTask } from '../train/next-task';

/** 'pool': the backbone's pooled output (the representation); 'proj': the projector output. */
export type FeatLayer = TrainConfig['featLayer'] | 'pixels';

const CHUNK = 256;

/** The images `indices` as the encoder sees them at evaluation: the whole image resized to
 *  imageSize and normalized with the dataset's channel statistics, no augmentation. [B, S, S, 3].
 *  The resize is the training crop's (cropAndResize, corner-aligned) with the full box, so a test
 *  image lines up with a training view of crop scale 1 to the pixel; resizeBilinear's default
 *  grid is shifted by up to half a pixel against it. */
export function evalInput(data: Dataset, indices: ArrayLike<number>, imageSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = indices.length;
    const boxes = tf.tensor2d(
      new Float32Array(n * 4).map((_, i) => (i % 4 >= 2 ? 1 : 0)),
      [n, 4],
    ); // [0, 0, 1, 1] each
    const x = tf.image.cropAndResize(uploadBatch(data, indices), boxes, tf.range(0, n, 1, 'int32') as tf.Tensor1D, [imageSize, imageSize]);
    return tf.div(tf.sub(x, data.mean), data.std) as tf.Tensor4D;
  });
}

/** New images (RGB at `data`'s stored size, as ../dataset/ingest.ts decodes them) as a dataset that
 *  embed() reads like `data`: normalised with `data`'s channel statistics, not their own. */
export function queryDataset(data: Dataset, rgb: Uint8Array[]): Dataset {
  const S = data.shape.height;
  const pixels = new Uint8Array(rgb.length * S * S * 3);
  rgb.forEach((x, i) => pixels.set(x, i * S * S * 3));
  const meta = { id: 'query', name: 'query', source: 'new images', testFraction: 0, seed: 0 };
  return {
    ...fromPixels(pixels, { count: rgb.length, height: S, width: S, channels: 3 }, new Int32Array(rgb.length), [], meta),
    mean: data.mean,
    std: data.std,
  };
}

/** [N] image indices -> [N, D] features on device; the caller disposes them. No indices (an
 *  unlabeled folder's empty test split) give a [0, 0] tensor. */
export async function embed(
  model: VicregModel | null,
  data: Dataset,
  indices: Int32Array,
  imageSize: number,
  layer: FeatLayer,
  onProgress?: (done: number) => void,
  pool: FeatPool = 'global',
): Promise<tf.Tensor2D> {
  if (indices.length === 0) return tf.tensor2d([], [0, 0]);
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < indices.length; start += CHUNK) {
      const batch = indices.subarray(start, start + CHUNK);
      parts.push(
        tf.tidy(() => {
          const x = evalInput(data, batch, imageSize);
          if (layer === 'pixels' || !model) return tf.reshape(x, [batch.length, -1]) as tf.Tensor2D;
          if (layer === 'pool') return readout(model.backbone, x, pool);
          return model.forward(x, false).embedding;
        }),
      );
      // Let the worker answer messages (Cancel, progress) between chunks.
      await parts[parts.length - 1].data();
      onProgress?.(Math.min(start + CHUNK, indices.length));
      await nextTask();
    }
    return tf.tidy(() => (parts.length === 1 ? parts[0].clone() : tf.concat(parts)) as tf.Tensor2D);
  } finally {
    tf.dispose(parts);
  }
}
