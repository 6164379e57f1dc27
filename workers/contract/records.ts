// The records the studio keeps (run records in IndexedDB, and everything a checkpoint file's
// checkpoint.json holds besides its tensor layout) as valibot schemas, with their TypeScript types
// derived from them, so what is checked and what the code assumes cannot drift apart. Every value
// that comes from outside this tab (an imported file, IndexedDB written by another version or
// tab) goes through one of these before it is used: types and ranges checked, unknown keys dropped
// (valibot's `object` strips them), every list bounded.
//
// valibot rather than zod: the same model (schemas as values, `InferOutput` types, issues with
// paths), in a few kB of tree-shaken functions, which matters here because the UI bundle reads
// run records too.
import * as v from 'valibot';
import { DEFAULT_CONFIG, FIELDS, checkConfig, type FieldSpec, type TrainConfig, KEYS } from './config';
import { HISTORY_LIMIT } from './history';

/** Bounds for text fields: names are shown in lists, ids become storage keys. */
const MAX_NAME = 500;

const text = (max = MAX_NAME) => v.pipe(v.string(), v.maxLength(max, `is longer than ${max} characters`));
export const int = (min: number, max: number) =>
  v.pipe(
    v.number('is not a number'),
    v.integer('is not a whole number'),
    v.minValue(min, `is below ${min}`),
    v.maxValue(max, `is above ${max}`),
  );
const finite = v.pipe(v.number('is not a number'), v.finite('is not finite'));
const share = v.pipe(finite, v.minValue(0, 'is below 0'), v.maxValue(1, 'is above 1'));
const step = int(0, 2 ** 40);
const time = v.pipe(finite, v.minValue(0, 'is negative'));

/**
 * A measured figure of the metric history. JSON has no NaN or Infinity (JSON.stringify writes
 * them as null), and a run that diverged records a non-finite loss, so null reads back as NaN.
 */
const measured = v.union(
  [
    v.number(),
    v.pipe(
      v.null(),
      v.transform(() => NaN),
    ),
  ],
  'is not a number',
);

/** A run's id: a storage key's suffix (workers/checkpoint/run-db.ts newRunId). */
export const runId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a run id (1 to 64 letters, digits, ".", "_" or "-")'));

/** The largest value a numeric setting takes (FIELDS, config.ts). */
export function fieldMax(key: keyof TrainConfig): number {
  const spec = FIELDS[key];
  if (spec.kind !== 'int' && spec.kind !== 'float') throw new Error(`${key} is not a numeric setting`);
  return spec.max;
}

function fieldSchema(spec: FieldSpec) {
  if (spec.kind === 'enum') return v.picklist(spec.options, `is not one of ${spec.options.join(', ')}`);
  if (spec.kind === 'string') return v.pipe(v.string(), v.maxLength(200), v.regex(spec.pattern, `is not ${spec.hint}`));
  return spec.kind === 'int'
    ? int(spec.min, spec.max)
    : v.pipe(finite, v.minValue(spec.min, `is below ${spec.min}`), v.maxValue(spec.max, `is above ${spec.max}`));
}

/**
 * A stored run configuration, one entry per field of FIELDS (config.ts), each as a URL hash would
 * be checked; settings added after the record was written take their defaults, then the
 * cross-field checks apply.
 */
export const configSchema = v.pipe(
  v.object(Object.fromEntries(KEYS.map((k) => [k, v.optional(fieldSchema(FIELDS[k]), DEFAULT_CONFIG[k])]))),
  v.transform((c) => c as unknown as TrainConfig),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const cross = checkConfig(dataset.value);
    if (cross.length) addIssue({ message: `is inconsistent: ${cross[0].reason}` });
  }),
);

/** One row per training step, flat as the official code's JSON log lines. */
export const metricRecordSchema = v.object({
  step: int(1, 2 ** 40), // 1-based global step
  epoch: step, // 0-based epoch the step belongs to
  loss: measured,
  invariance: measured,
  variance: measured,
  covariance: measured,
  gammaT: measured, // variance hinge target used at this step
  lr: measured,
  imagesPerSec: measured, // both views counted once: batchSize / step time
  msPerStep: measured, // wall time per step, averaged over the readback window
  dataMs: v.optional(measured), // on timed steps (every diagEvery): time to build both augmented views
  computeMs: v.optional(measured), // ... and to run the training step on them
});
export type MetricRecord = v.InferOutput<typeof metricRecordSchema>;

/** Online k-NN top-1 of the weights at `step` on fixed subsets (workers/train/online-knn.ts). */
export const knnRecordSchema = v.object({
  step,
  epoch: step,
  top1: share, // share of the test subset classified right
});
export type KnnRecord = v.InferOutput<typeof knnRecordSchema>;

/** The online k-NN's subsets and reference lines: raw pixels and the random-init encoder, read
 *  out the same way as the trained one, on the same subsets. */
export const knnBaselinesSchema = v.object({
  pixels: share,
  random: share,
  trainCount: int(0, 2 ** 31),
  testCount: int(0, 2 ** 31),
  features: text(200), // the readout in words, e.g. "backbone, 4×4 grid"
  every: int(0, 2 ** 40), // steps between evaluations (0 until auto's spacing is timed)
});
export type KnnBaselines = v.InferOutput<typeof knnBaselinesSchema>;

/** How a time budget (budgetMinutes) was turned into epochs. */
export const budgetPlanSchema = v.object({
  budgetMinutes: time,
  msPerStep: time, // measured over the first steps
  epochs: int(1, fieldMax('epochs')),
  totalSteps: int(1, 2 ** 40),
  fits: v.boolean(), // false: warmup plus one epoch already exceeds the budget, the run takes longer
});
export type BudgetPlan = v.InferOutput<typeof budgetPlanSchema>;

/** Collapse statistics of one batch of embeddings [B, n] (workers/vicreg/diagnostics.ts). */
export const featureDiagnosticsSchema = v.object({
  stdMin: measured, // per-dimension std (unbiased, no eps): smallest, mean, largest
  stdMean: measured,
  stdMax: measured,
  cosine: measured, // mean pairwise cosine similarity between different samples
  covSq: measured, // mean squared off-diagonal covariance
  rankMe: measured, // effective rank of the batch (Garrido et al. 2023), 1 .. min(B, n)
});
export type FeatureDiagnostics = v.InferOutput<typeof featureDiagnosticsSchema>;

/** Diagnostics of view 1 of the batch at `step`, on the projector output and the backbone features. */
export const diagnosticsRecordSchema = v.object({ step, projector: featureDiagnosticsSchema, backbone: featureDiagnosticsSchema });
export type DiagnosticsRecord = v.InferOutput<typeof diagnosticsRecordSchema>;

/** The metric history a checkpoint carries (workers/contract/history.ts keeps it this short). */
export const historySchema = <T extends v.GenericSchema>(item: T) =>
  v.pipe(v.array(item), v.maxLength(HISTORY_LIMIT, `holds more than ${HISTORY_LIMIT} records`));

export const EVAL_KINDS = ['knn', 'probe', 'finetune', 'supervised'] as const;
export type EvalKind = (typeof EVAL_KINDS)[number];
export const EVAL_ROWS = ['trained', 'random init', 'raw pixels', 'fine-tune', 'supervised'] as const;
export type EvalRowName = (typeof EVAL_ROWS)[number];

const evalResultSchema = v.object({
  featLayer: v.picklist(FIELDS.featLayer.options),
  featPool: v.optional(v.picklist(FIELDS.featPool.options)),
  top1: v.object(
    Object.fromEntries(EVAL_ROWS.map((r) => [r, v.optional(share)])) as Record<EvalRowName, v.OptionalSchema<typeof share, undefined>>,
  ),
  testCount: v.optional(int(1, 2 ** 31)), // test images the top-1s were measured on: their intervals follow
});

export const CHECKPOINT_REASONS = ['interval', 'epoch', 'stop', 'end', 'manual', 'import'] as const;

/** One stored checkpoint as the list shows it. */
export const checkpointInfoSchema = v.object({
  key: text(200),
  step,
  epoch: step,
  createdAt: time,
  bytes: int(0, 2 ** 53),
  reason: v.picklist(CHECKPOINT_REASONS),
  readMs: v.optional(time), // from capture to the values off the device (training goes on meanwhile)
  writeMs: v.optional(time), // the IndexedDB write
  last: v.nullable(metricRecordSchema), // the newest metrics at that step
  /** Top-1 of the last k-NN and probe of these weights, per row, so runs can be compared. */
  results: v.optional(
    v.object(
      Object.fromEntries(EVAL_KINDS.map((k) => [k, v.optional(evalResultSchema)])) as Record<
        EvalKind,
        v.OptionalSchema<typeof evalResultSchema, undefined>
      >,
    ),
  ),
});
export type CheckpointInfo = v.InferOutput<typeof checkpointInfoSchema>;

export const datasetRefSchema = v.object({ id: text(200), name: text() });

/** A run as IndexedDB keeps it: what it is and which checkpoints it has. */
export const runRecordSchema = v.pipe(
  v.object({
    runId,
    name: text(),
    dataset: datasetRefSchema,
    config: configSchema, // as trained
    totalSteps: int(1, 2 ** 40),
    finished: v.boolean(),
    updatedAt: time,
    checkpoints: v.pipe(
      v.array(checkpointInfoSchema),
      v.minLength(1, 'is empty'),
      v.maxLength(fieldMax('keepCheckpoints'), `holds more than ${fieldMax('keepCheckpoints')} checkpoints`),
    ), // oldest first; the last is the run's latest
  }),
  v.check((r) => r.checkpoints.every((c) => c.step <= r.totalSteps), 'has a checkpoint past its last step'),
);
export type RunRecord = v.InferOutput<typeof runRecordSchema>;

/**
 * Parses `input` with `schema`, or throws an error whose message names the first fault by its
 * path, e.g. `the checkpoint's record: config.batchSize is above 4096`.
 */
export function parseOrThrow<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, input, { abortEarly: true });
  if (r.success) return r.output;
  throw new Error(`${what}: ${describeIssue(r.issues[0])}`);
}

/** One issue in words: where (a dot path) and what (the schema's message, or what was found). */
export function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  if (issue.received === 'undefined') return `${path || 'a field'} is missing`;
  const where = path ? `${path} ` : '';
  if (/^(is|has|holds)\b/.test(issue.message)) return `${where}${issue.message}`;
  return `${where}is ${issue.received}, expected ${issue.expected ?? 'something else'}`;
}
