// A checkpoint's model as PyTorch holds it: `model.safetensors` with every backbone and projector
// tensor in PyTorch's layout (./layout.ts) under the studio's names (torchvision's and timm's),
// BatchNorm's running statistics and num_batches_tracked, and the run's config and input
// normalisation in the metadata. workers/torch/models.py builds the matching nn.Module.
import { APP_VERSION } from '../contract/version';
import type { Checkpoint } from '../checkpoint/record';
import { layoutOf, permute, TO_TORCH } from './layout';
import { f32, i64Scalar, tensorsCrc32, writeSafetensors, type SafeTensor } from './safetensors';

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
    if (e.name.endsWith('.running_var'))
      out.push([`${e.name.slice(0, -'.running_var'.length)}.num_batches_tracked`, i64Scalar(2 * meta.step)]);
  }
  return out;
}

/** The optimizer state's names in PyTorch: torch.optim's own (SGD, AdamW), main_vicreg.py's LARS "mu". */
const TORCH_SLOTS: Record<string, string> = { 'lars.mu': 'mu', 'sgd.mu': 'momentum_buffer', 'adamw.m': 'exp_avg', 'adamw.v': 'exp_avg_sq' };

/**
 * The optimizer state as "<parameter>.<slot>" in the parameter's PyTorch layout, AdamW's step
 * count as "adamw.step", and the AVT EMA as "avt.ema" (train_vicreg.py loads them back).
 */
export function torchOptimizerTensors(c: Checkpoint): [string, SafeTensor][] {
  const { meta, data } = c;
  const shapes = new Map(meta.model.map((e) => [e.name, e.shape]));
  const out: [string, SafeTensor][] = [];
  for (const e of meta.optimizer) {
    const values = data.subarray(e.offset, e.offset + size(e.shape));
    if (e.param === null) {
      out.push([e.slot === 'adamw.t' ? 'adamw.step' : e.slot, f32(values.slice(), [])]);
      continue;
    }
    const perm = TO_TORCH[layoutOf(meta.config.backbone, e.param, shapes.get(e.param) ?? e.shape)];
    const t = perm ? permute(values, e.shape, perm) : { values: values.slice(), shape: e.shape };
    out.push([`${e.param}.${TORCH_SLOTS[e.slot]}`, f32(t.values, t.shape)]);
  }
  if (meta.avt) out.push(['avt.ema', f32(data.slice(meta.avt.offset, meta.avt.offset + size(meta.avt.shape)), meta.avt.shape)]);
  return out;
}

/** The metadata both files carry: where the run stands, its config and input normalisation. */
function torchMetadata(c: Checkpoint): Record<string, string> {
  const m = c.meta;
  return {
    format: 'vicreg-studio',
    app_version: APP_VERSION,
    run_name: m.runName,
    step: String(m.step),
    epoch: String(m.epoch),
    step_in_epoch: String(m.stepInEpoch),
    steps_per_epoch: String(m.totalSteps / m.config.epochs),
    config: JSON.stringify(m.config),
    normalization: JSON.stringify(m.normalization),
    dataset_id: m.dataset.id,
    dataset_name: m.dataset.name,
  };
}

/** optimizer.safetensors of a checkpoint. */
export function torchOptimizerFile(c: Checkpoint): Uint8Array {
  const tensors = torchOptimizerTensors(c);
  return writeSafetensors(tensors, { ...torchMetadata(c), tensors_crc32: tensorsCrc32(tensors) });
}

/** model.safetensors of a checkpoint. */
export function torchModelFile(c: Checkpoint): Uint8Array {
  const tensors = torchStateDict(c);
  return writeSafetensors(tensors, { ...torchMetadata(c), tensors_crc32: tensorsCrc32(tensors) });
}
