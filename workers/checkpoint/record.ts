// A checkpoint is a complete record of a run at a step boundary: main_vicreg.py saves
// {epoch, model, optimizer}; a browser run must also continue exactly after a reload, so this
// adds BatchNorm running statistics (they are model variables here), the AVT EMA, the random
// generator state, the resolved config, the dataset id and the metric history (nanoGPT's rule:
// a checkpoint can always be resumed or explained). Every tensor is float32, stored back to back
// in one Float32Array; the meta record says where each one lies.
import * as tf from '@tensorflow/tfjs';
import type { BudgetPlan, CheckpointInfo, KnnBaselines, KnnRecord, MetricRecord } from '../contract/api';
import { DEFAULT_CONFIG, FIELDS, checkConfig, parseField, type TrainConfig } from '../contract/config';
import type { VicregModel } from '../model/model';
import type { Optimizer } from '../optim/optimizers';
import type { AvtState } from '../vicreg/loss';

export const FORMAT_VERSION = 1;

export type CheckpointReason = CheckpointInfo['reason'];

export interface TensorEntry {
  name: string; // the parameter's stable name, e.g. "backbone.conv1.weight"
  shape: number[];
  offset: number; // in float32 values from the start of `data`
}

/** Optimizer state: `slot` of parameter `param` (e.g. lars.mu of backbone.conv1.weight), or a scalar. */
export interface SlotEntry extends TensorEntry {
  slot: string;
  param: string | null;
}

export interface CheckpointMeta {
  format: number;
  appVersion: string;
  runId: string;
  runName: string;
  createdAt: number; // ms since epoch
  reason: CheckpointReason;
  step: number; // optimizer updates done
  epoch: number; // epoch of the next step
  stepInEpoch: number; // index of the next step within that epoch (< steps per epoch)
  totalSteps: number;
  finished: boolean; // the run reached its last step: nothing left to resume
  rng: { state: number; epochStart: number }; // mulberry32 state now, and at the start of `epoch`
  config: TrainConfig;
  dataset: { id: string; name: string };
  normalization: { mean: [number, number, number]; std: [number, number, number] }; // input (x − mean) / std, per RGB channel of [0, 1] pixels
  model: TensorEntry[];
  optimizer: SlotEntry[];
  avt: TensorEntry | null;
  values: number; // float32 values in `data`
  metrics: MetricRecord[]; // downsampled history (../contract/history.ts)
  knn?: KnnRecord[]; // online k-NN points, downsampled the same way (absent before the online k-NN existed)
  knnBaselines?: KnnBaselines | null; // its reference lines
  budget?: BudgetPlan | null; // how a time budget was turned into epochs (config.epochs holds the result)
}

export interface Checkpoint {
  meta: CheckpointMeta;
  data: Float32Array;
}

export type TensorLayout = Pick<CheckpointMeta, 'model' | 'optimizer' | 'avt' | 'values'>;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Takes the model, optimizer and AVT tensors as they are now: clones share the data, and later
 * updates replace a variable's data rather than write into it, so training can go on while
 * `read` copies the values off the device. `read` disposes the clones; call it exactly once.
 */
export function captureTensors(model: VicregModel, optimizer: Optimizer, avt: AvtState): { layout: TensorLayout; read(): Promise<Float32Array> } {
  const names = new Map(model.store.params.map((p) => [p.variable, p.name]));
  const tensors: tf.Tensor[] = [];
  let offset = 0;
  const entry = (name: string, t: tf.Tensor): TensorEntry => {
    tensors.push(t.clone());
    const e = { name, shape: t.shape.slice(), offset };
    offset += t.size;
    return e;
  };
  const modelEntries = model.store.params.map((p) => entry(p.name, p.variable));
  const optimizerEntries = optimizer.state().map((s): SlotEntry => {
    const param = s.param ? names.get(s.param) : null;
    if (param === undefined) throw new Error(`optimizer state ${s.slot} belongs to a variable outside the model`);
    return { ...entry(param ? `${s.slot}/${param}` : s.slot, s.variable), slot: s.slot, param };
  });
  const avtEntry = avt.ema ? entry('avt.ema', avt.ema) : null;
  const values = offset;
  return {
    layout: { model: modelEntries, optimizer: optimizerEntries, avt: avtEntry, values },
    async read() {
      try {
        const parts = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
        const data = new Float32Array(values);
        let at = 0;
        for (const p of parts) {
          data.set(p, at);
          at += p.length;
        }
        return data;
      } finally {
        tf.dispose(tensors);
      }
    },
  };
}

/**
 * Checks a checkpoint on its own terms (its record, then its tensors: as many values as the
 * record lists, all finite), before anything is built from it. Throws with what is wrong and what
 * to do.
 */
export function validateCheckpoint(meta: CheckpointMeta, data: Float32Array): TrainConfig {
  const config = validateRecord(meta);
  if (data.length !== meta.values) throw valuesMismatch(data.length, meta.values);
  const entries = [...meta.model, ...meta.optimizer, ...(meta.avt ? [meta.avt] : [])];
  let bad = -1;
  for (let i = 0; i < data.length && bad < 0; i++) if (!Number.isFinite(data[i])) bad = i;
  if (bad >= 0) {
    const e = entries.find((x) => bad >= x.offset && bad < x.offset + size(x.shape))!;
    throw new Error(`the checkpoint's tensor ${e.name} holds a non-finite value: it cannot be resumed`);
  }
  return config;
}

/** The tensor data and the record disagree on how many float32 values there are. */
export function valuesMismatch(held: number, listed: unknown): Error {
  return new Error(`the checkpoint holds ${held} weight values but its record lists ${String(listed)}: the weight file is truncated or belongs to another checkpoint`);
}

/** The record alone (format, config, tensor layout), before its tensors are read. */
export function validateRecord(meta: CheckpointMeta): TrainConfig {
  if (meta.format !== FORMAT_VERSION) {
    throw new Error(`the checkpoint has format version ${meta.format}; this studio reads version ${FORMAT_VERSION}. Export it again from the studio version that wrote it (${meta.appVersion ?? 'unknown'}).`);
  }
  for (const k of ['runId', 'step', 'config', 'model', 'optimizer', 'values', 'rng', 'normalization'] as const) {
    if (meta[k] === undefined || meta[k] === null) throw new Error(`the checkpoint's record has no "${k}": the file is incomplete or not a VICReg Studio checkpoint`);
  }
  // Settings added after the checkpoint was written take their defaults; every value must pass
  // its field's validation, as a URL hash would.
  const config = { ...DEFAULT_CONFIG, ...meta.config };
  for (const key of Object.keys(FIELDS) as (keyof TrainConfig)[]) {
    const parsed = parseField(key, String(config[key]));
    if ('reason' in parsed) throw new Error(`the checkpoint's config has ${key} = ${String(config[key])}: ${parsed.reason}`);
  }
  const cross = checkConfig(config);
  if (cross.length) throw new Error(`the checkpoint's config is inconsistent: ${cross[0].reason}`);
  const entries = [...meta.model, ...meta.optimizer, ...(meta.avt ? [meta.avt] : [])].sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const e of entries) {
    if (e.offset !== at || !e.shape.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error(`the checkpoint's tensor ${e.name} (shape [${e.shape}]) is not where its record says: the record is corrupt`);
    }
    at += size(e.shape);
  }
  if (at !== meta.values) throw new Error(`the checkpoint's tensors cover ${at} values, its record says ${meta.values}: the record is corrupt`);
  return config;
}

/**
 * Throws unless the record's tensors are exactly the model's parameters, by name and shape, and
 * each optimizer slot of a parameter has that parameter's shape: a checkpoint of another
 * architecture, or a record that lists more values than its config's model has, is refused
 * naming the first differences.
 */
export function checkLayout(meta: Pick<CheckpointMeta, 'model' | 'optimizer'>, model: VicregModel): void {
  const stored = new Map(meta.model.map((e) => [e.name, e]));
  const problems: string[] = [];
  for (const p of model.store.params) {
    const e = stored.get(p.name);
    if (!e) problems.push(`${p.name} is missing`);
    else if (e.shape.join('x') !== p.variable.shape.join('x')) problems.push(`${p.name} is [${e.shape}] in the checkpoint, [${p.variable.shape}] in this model`);
    stored.delete(p.name);
  }
  for (const name of stored.keys()) problems.push(`${name} is not part of this model`);
  if (problems.length) {
    throw new Error(`the checkpoint does not fit the model its config describes: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  }
  const byName = new Map(model.store.params.map((p) => [p.name, p.variable]));
  for (const e of meta.optimizer) {
    if (e.param === null) continue;
    const param = byName.get(e.param);
    if (!param) throw new Error(`the checkpoint's optimizer state ${e.name} refers to ${e.param}, which this model lacks`);
    if (e.shape.join('x') !== param.shape.join('x')) throw new Error(`the checkpoint's optimizer state ${e.name} is [${e.shape}], its parameter ${e.param} is [${param.shape}]: the record is corrupt`);
  }
}

/**
 * Copies a checkpoint into a model built from its config, an optimizer of its kind, and returns
 * the AVT state. Names and shapes must match the model exactly: a checkpoint of another
 * architecture is refused, naming the first differences, before any variable is touched.
 */
export function restoreTensors(ckpt: Checkpoint, model: VicregModel, optimizer: Optimizer): AvtState {
  const { meta, data } = ckpt;
  checkLayout(meta, model);
  const byName = new Map(model.store.params.map((p) => [p.name, p.variable]));
  const view = (e: TensorEntry) => tf.tensor(data.subarray(e.offset, e.offset + size(e.shape)), e.shape, 'float32');
  tf.tidy(() => {
    for (const e of meta.model) byName.get(e.name)!.assign(view(e));
    optimizer.load(meta.optimizer.map((e) => ({ slot: e.slot, param: e.param === null ? null : byName.get(e.param)!, value: view(e) })));
  });
  return { ema: meta.avt ? (view(meta.avt) as tf.Tensor1D) : null };
}
