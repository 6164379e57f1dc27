// A checkpoint is a complete record of a run at a step boundary: main_vicreg.py saves
// {epoch, model, optimizer}; a browser run must also continue exactly after a reload, so this
// adds BatchNorm running statistics (they are model variables here), the AVT EMA, the random
// generator state, the resolved config, the dataset id and the metric history (nanoGPT's rule:
// a checkpoint can always be resumed or explained). Every tensor is float32, stored back to back
// in one Float32Array; the meta record says where each one lies.
import * as tf from '@tensorflow/tfjs';
import * as v from 'valibot';
import { MAX_IMPORT_BYTES, type CheckpointInfo } from '../contract/api';
import {
  CHECKPOINT_REASONS,
  diagnosticsRecordSchema,
  fieldMax,
  budgetPlanSchema,
  configSchema,
  datasetRefSchema,
  historySchema,
  int,
  knnBaselinesSchema,
  knnRecordSchema,
  metricRecordSchema,
  parseOrThrow,
  runId,
} from '../contract/records';
import type { VicregModel } from '../model/model';
import { OPTIMIZER_SLOTS, type Optimizer } from '../optim/optimizers';
import type { AvtState } from '../vicreg/loss';

export const FORMAT_VERSION = 1;

export type CheckpointReason = CheckpointInfo['reason'];

/** Bounds no real model reaches (ResNet-50 has 161 parameter tensors, ViT-S 152). */
const MAX_TENSORS = 4096;
const tensorName = v.pipe(v.string(), v.maxLength(300, 'is longer than 300 characters'));

const tensorEntrySchema = v.object({
  name: tensorName, // the parameter's stable name, e.g. "backbone.conv1.weight"
  shape: v.pipe(v.array(int(0, 2 ** 31)), v.maxLength(8, 'has more than 8 dimensions')),
  offset: int(0, 2 ** 53), // in float32 values from the start of `data`
});
export type TensorEntry = v.InferOutput<typeof tensorEntrySchema>;

/** Optimizer state: `slot` of parameter `param` (e.g. lars.mu of backbone.conv1.weight), or a scalar. */
const slotEntrySchema = v.object({
  ...tensorEntrySchema.entries,
  slot: v.picklist(OPTIMIZER_SLOTS, `is not an optimizer state this studio knows (${OPTIMIZER_SLOTS.join(', ')})`),
  param: v.nullable(tensorName),
});
export type SlotEntry = v.InferOutput<typeof slotEntrySchema>;

const finite = v.pipe(v.number('is not a number'), v.finite('is not finite'));
const positive = v.pipe(finite, v.gtValue(0, 'is not above 0'));
const uint32 = int(-(2 ** 31), 2 ** 32 - 1);

/** checkpoint.json, and the record beside the tensors in IndexedDB. */
export const checkpointMetaSchema = v.pipe(
  v.object({
    format: v.literal(FORMAT_VERSION),
    appVersion: v.pipe(v.string(), v.maxLength(100)),
    runId,
    runName: v.pipe(v.string(), v.maxLength(500, 'is longer than 500 characters')),
    createdAt: v.pipe(finite, v.minValue(0, 'is negative')), // ms since epoch
    reason: v.picklist(CHECKPOINT_REASONS, `is not one of ${CHECKPOINT_REASONS.join(', ')}`),
    step: int(0, 2 ** 40), // optimizer updates done
    epoch: int(0, fieldMax('epochs')), // epoch of the next step
    stepInEpoch: int(0, 2 ** 40), // index of the next step within that epoch (< steps per epoch)
    totalSteps: int(1, 2 ** 40),
    finished: v.boolean(), // the run reached its last step: nothing left to resume
    rng: v.object({ state: uint32, epochStart: uint32 }), // mulberry32 state now, and at the start of `epoch`
    config: configSchema,
    dataset: datasetRefSchema,
    // input (x − mean) / std, per RGB channel of [0, 1] pixels
    normalization: v.object({ mean: v.tuple([finite, finite, finite]), std: v.tuple([positive, positive, positive]) }),
    model: v.pipe(v.array(tensorEntrySchema), v.maxLength(MAX_TENSORS, `lists more than ${MAX_TENSORS} tensors`)),
    optimizer: v.pipe(v.array(slotEntrySchema), v.maxLength(3 * MAX_TENSORS, `lists more than ${3 * MAX_TENSORS} tensors`)),
    avt: v.nullable(tensorEntrySchema),
    values: int(0, MAX_IMPORT_BYTES / 4), // float32 values in `data`
    metrics: historySchema(metricRecordSchema), // downsampled history (../contract/history.ts)
    diagnostics: v.optional(historySchema(diagnosticsRecordSchema)), // collapse diagnostics, downsampled the same way (absent before they were kept)
    knn: v.optional(historySchema(knnRecordSchema)), // online k-NN points, downsampled the same way (absent before the online k-NN existed)
    knnBaselines: v.optional(v.nullable(knnBaselinesSchema)), // its reference lines
    budget: v.optional(v.nullable(budgetPlanSchema)), // how a time budget was turned into epochs (config.epochs holds the result)
    trainedMs: v.optional(v.pipe(finite, v.minValue(0, 'is negative'))), // the loop's wall time to this step, across resumes (absent before it was kept)
  }),
  v.check((m) => m.step <= m.totalSteps, `has step past totalSteps`),
  v.check((m) => m.finished === (m.step === m.totalSteps), 'says finished where step and totalSteps disagree'),
  // The trainer's arithmetic (workers/train/trainer.ts): totalSteps = steps per epoch × epochs (a
  // time budget sets config.epochs to what it planned), and step counts whole epochs plus
  // stepInEpoch; a resume replays the shuffle from exactly there.
  v.check(
    (m) => m.totalSteps % m.config.epochs === 0 && m.epoch <= m.config.epochs,
    'has totalSteps that are not whole epochs of config.epochs',
  ),
  v.check((m) => {
    const perEpoch = m.totalSteps / m.config.epochs;
    return m.stepInEpoch < perEpoch && m.step === m.epoch * perEpoch + m.stepInEpoch;
  }, 'has step, epoch and stepInEpoch that disagree'),
);
export type CheckpointMeta = v.InferOutput<typeof checkpointMetaSchema>;

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
export function captureTensors(
  model: VicregModel,
  optimizer: Optimizer,
  avt: AvtState,
): { layout: TensorLayout; read(): Promise<Float32Array> } {
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
 * record lists, all finite), before anything is built from it, whether it comes from a file or
 * from IndexedDB. Returns it with its record parsed (defaults filled, unknown keys dropped).
 * Throws with what is wrong and what to do.
 */
export function validateCheckpoint(meta: unknown, data: unknown): Checkpoint {
  const record = validateRecord(meta);
  if (!(data instanceof Float32Array))
    throw new Error(`the checkpoint's weights are not float32 values: the stored checkpoint is damaged; delete it`);
  if (data.length !== record.values) throw valuesMismatch(data.length, record.values);
  const entries: (TensorEntry & { slot?: string })[] = [...record.model, ...record.optimizer, ...(record.avt ? [record.avt] : [])];
  for (const e of entries) {
    const values = data.subarray(e.offset, e.offset + size(e.shape));
    const bad = values.findIndex((x) => !(Math.abs(x) <= MAX_ABS_VALUE));
    if (bad >= 0) {
      throw new Error(
        Number.isFinite(values[bad])
          ? `the checkpoint's tensor ${e.name} holds ${values[bad]}, beyond the ±${MAX_ABS_VALUE} its squares stay finite within: it cannot be trained on`
          : `the checkpoint's tensor ${e.name} holds a non-finite value: it cannot be resumed`,
      );
    }
    if ((e.name.endsWith('.running_var') || e.slot === 'adamw.v') && values.some((x) => x < 0)) {
      throw new Error(`the checkpoint's tensor ${e.name} is a variance but holds a negative value: the checkpoint is damaged`);
    }
  }
  return { meta: record, data };
}

/**
 * The largest magnitude a stored value may have: BatchNorm variances, weight decay and LARS's
 * trust ratio sum squares of up to ~1e8 values in float32 (max 3.4e38), which stays finite for
 * |x| ≤ 1e15. Trained weights are many orders of magnitude smaller.
 */
export const MAX_ABS_VALUE = 1e15;

/** The tensor data and the record disagree on how many float32 values there are. */
export function valuesMismatch(held: number, listed: unknown): Error {
  return new Error(
    `the checkpoint holds ${held} weight values but its record lists ${String(listed)}: the weight file is truncated or belongs to another checkpoint`,
  );
}

/**
 * The record alone, before its tensors are read: its format version, every field against the
 * schema (the config as a URL hash would be checked, settings added since taking their
 * defaults), and the tensor layout (back to back, covering exactly `values`).
 */
export function validateRecord(raw: unknown): CheckpointMeta {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error("the checkpoint's record is not an object: the file is damaged or not a VICReg Studio checkpoint");
  const format = (raw as { format?: unknown }).format;
  if (format !== FORMAT_VERSION) {
    const by = (raw as { appVersion?: unknown }).appVersion;
    if (format === undefined)
      throw new Error("the checkpoint's record has no format version: it is damaged or not a VICReg Studio checkpoint");
    throw new Error(
      `the checkpoint has format version ${JSON.stringify(format)?.slice(0, 40)}; this studio reads version ${FORMAT_VERSION}. Export it again from the studio version that wrote it (${typeof by === 'string' ? by.slice(0, 40) : 'unknown'}).`,
    );
  }
  const meta = parseOrThrow(checkpointMetaSchema, raw, "the checkpoint's record is damaged");
  const entries = [...meta.model, ...meta.optimizer, ...(meta.avt ? [meta.avt] : [])].sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const e of entries) {
    if (e.offset !== at)
      throw new Error(`the checkpoint's tensor ${e.name} (shape [${e.shape}]) is not where its record says: the record is corrupt`);
    at += size(e.shape);
  }
  if (at !== meta.values)
    throw new Error(`the checkpoint's tensors cover ${at} values, its record says ${meta.values}: the record is corrupt`);
  return meta;
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
    else if (e.shape.join('x') !== p.variable.shape.join('x'))
      problems.push(`${p.name} is [${e.shape}] in the checkpoint, [${p.variable.shape}] in this model`);
    stored.delete(p.name);
  }
  for (const name of stored.keys()) problems.push(`${name} is not part of this model`);
  if (problems.length) {
    throw new Error(
      `the checkpoint does not fit the model its config describes: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
    );
  }
  const byName = new Map(model.store.params.map((p) => [p.name, p.variable]));
  for (const e of meta.optimizer) {
    if (e.param === null) continue;
    const param = byName.get(e.param);
    if (!param) throw new Error(`the checkpoint's optimizer state ${e.name} refers to ${e.param}, which this model lacks`);
    if (e.shape.join('x') !== param.shape.join('x'))
      throw new Error(
        `the checkpoint's optimizer state ${e.name} is [${e.shape}], its parameter ${e.param} is [${param.shape}]: the record is corrupt`,
      );
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
