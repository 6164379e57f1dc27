// Per-segment recomputation, or gradient checkpointing (Chen et al. 2016, "Training Deep Nets with
// Sublinear Memory Cost", arXiv:1604.06174; torch.utils.checkpoint): the forward pass keeps only
// each backbone segment's input, then the backward pass walks the segments from the last, replays
// one segment's forward under a vector-Jacobian product and frees its activations at once. The
// peak holds the segment inputs plus one segment's activations and gradients, instead of every
// activation of the network, for about one more forward pass of compute.
// BatchNorm moves its running statistics in the first forward only: the replay runs under
// layers.ts `replay`, which turns the update off, so both modes leave the same statistics.
import * as tf from '@tensorflow/tfjs';
import type { Segment } from '../model/encoder';
import { replay } from '../model/layers';

/**
 * d loss / d vars, where loss = head(backbone features of each input) and the backbone is the chain
 * `segments`. `head` runs on a tape as usual (the projector and the loss are one segment); what it
 * keeps with tf.keep stays alive. Returns the gradients by variable name, as tf.variableGrads,
 * summed over inputs and segments. Shapes: inputs[v] [B, H, W, 3]; features [B, featureDim].
 */
export function recomputedGrads(
  segments: Segment[],
  inputs: tf.Tensor[],
  vars: tf.Variable[],
  head: (features: tf.Tensor[]) => tf.Scalar,
): Record<string, tf.Tensor> {
  // Forward, no tape: kept[v][i] is segment i's input for view v; kept[v][n] its features.
  const kept = inputs.map((x) => {
    const list = [x];
    for (const s of segments) list.push(tf.tidy(() => s(list[list.length - 1], true)));
    return list;
  });
  const n = segments.length;
  const sums: (tf.Tensor | undefined)[] = vars.map(() => undefined);
  const accumulate = (grads: tf.Tensor[], from: number) => {
    vars.forEach((_, j) => {
      const g = grads[from + j];
      if (!g) return;
      const before = sums[j];
      sums[j] = before ? tf.add(before, g) : g;
      if (before) tf.dispose([before, g]);
    });
  };

  const features = kept.map((k) => k[n]);
  const top = tf.engine().gradients(() => head(features), [...features, ...vars], undefined, true);
  top.value.dispose();
  let dh: (tf.Tensor | null)[] = top.grads.slice(0, features.length);
  accumulate(top.grads, features.length);
  tf.dispose(features);

  for (let i = n - 1; i >= 0; i--) {
    dh = dh.map((dy, v) => {
      const x = kept[v][i];
      if (!dy) return null; // a view the loss does not reach
      const xs = i > 0 ? [x, ...vars] : vars; // the images need no gradient
      const step = tf.engine().gradients(() => replay(() => segments[i](x, true)), xs, dy, true);
      step.value.dispose();
      dy.dispose();
      accumulate(step.grads, i > 0 ? 1 : 0);
      if (i > 0) x.dispose(); // segment i−1's output, needed by nothing else now
      return i > 0 ? step.grads[0] : null;
    });
  }
  return Object.fromEntries(vars.flatMap((v, j) => (sums[j] ? [[v.name, sums[j]!]] : [])));
}
