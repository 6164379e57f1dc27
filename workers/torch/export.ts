// A checkpoint's model as PyTorch holds it: `model.safetensors` with every backbone and projector
// tensor in PyTorch's layout (./layout.ts) under the studio's names (torchvision's and timm's),
// BatchNorm's running statistics and num_batches_tracked, and the run's config and input
// normalisation in the metadata. workers/torch/models.py builds the matching nn.Module.
import { APP_VERSION } from '../contract/version';
import type { Checkpoint } from '../checkpoint/record';
import { layoutOf, permute, TO_TORCH } from './layout';
import { f32, i64Scalar, writeSafetensors, type SafeTensor } from './safetensors';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The model's tensors in PyTorch layout, in the studio's order (a state_dict's order). */
export function torchStateDict(c: Checkpoint): [string, SafeTensor][] {
  const { meta, data } = c;
  const out: [string, SafeTensor][] = [];
  for (const e of meta.model) {
    const values = data.subarray(e.offset, e.offset + size(e.shape));
    const perm = TO_TORCH[layoutOf(meta.config.backbone, e.name, e.shape)];
    const t = perm ? permute(values, e.shape, perm) : { values: values.slice(), shape: e.shape };
    out.push([e.name, f32(t.values, t.shape)]);
    // nn.BatchNorm counts its training-mode forwards; main_vicreg.py runs the two views separately.
    if (e.name.endsWith('.running_var')) out.push([`${e.name.slice(0, -'.running_var'.length)}.num_batches_tracked`, i64Scalar(2 * meta.step)]);
  }
  return out;
}

/** model.safetensors of a checkpoint. */
export function torchModelFile(c: Checkpoint): Uint8Array {
  const m = c.meta;
  return writeSafetensors(torchStateDict(c), {
    format: 'vicreg-studio',
    app_version: APP_VERSION,
    run_name: m.runName,
    step: String(m.step),
    epoch: String(m.epoch),
    config: JSON.stringify(m.config),
    normalization: JSON.stringify(m.normalization),
  });
}
