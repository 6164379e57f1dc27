// A PyTorch state dict (.safetensors) as a studio checkpoint: what train_vicreg.py writes, or the
// weights of a torchvision / timm backbone of a supported architecture, with or without projector
// and `backbone.` prefix. The architecture comes from the file's metadata when the studio or its
// script wrote it, otherwise from the names and shapes. Everything is checked from the header
// before a value is converted: the tensors must be exactly the model's (a classifier head and
// num_batches_tracked are dropped), in its shapes; then the values go through the same checks as
// any checkpoint (workers/checkpoint/record.ts).
import type * as tf from '@tensorflow/tfjs';
import { MAX_IMPORT_BYTES } from '../contract/api';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { configSchema, parseOrThrow } from '../contract/records';
import { APP_VERSION } from '../contract/version';
import { FORMAT_VERSION, type Checkpoint, type CheckpointMeta, type TensorEntry } from '../checkpoint/record';
import { newRunId } from '../checkpoint/run-db';
import { mobilenetV2Plan } from '../model/arch';
import { buildModel } from '../model/model';
import { inverse, layoutOf, permute, TO_TORCH } from './layout';
import { readSafetensors, tensorsCrc32, type SafeTensor } from './safetensors';

/** The first bytes of a zip (a studio checkpoint). */
export const isZip = (bytes: Uint8Array) =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

/** The first bytes of a safetensors file: a header length the file can hold, then "{". */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** Keys a backbone file may carry that the studio's model has no use for. */
const DROPPED = /(^|\.)(num_batches_tracked)$|^(backbone\.)?(fc|head|classifier|predictions)\.|^(backbone\.)?(fc_norm|head_drop)\./;

/** A name as the studio's model spells it: DDP's "module." gone, "backbone." added to backbone weights. */
function studioName(name: string): string {
  const n = name.replace(/^module\./, '');
  return n.startsWith('backbone.') || n.startsWith('projector.') ? n : `backbone.${n}`;
}

const shapeOf = (tensors: Map<string, SafeTensor>, n: string) => tensors.get(n)?.shape;

/**
 * The backbone settings the tensors describe (names and shapes as torchvision / timm write them,
 * under "backbone."), or a message saying why none fits. The input size is not in the weights:
 * CNNs take 32 px for a CIFAR stem and the small CNN, 112 px otherwise; a ViT's follows from its
 * position embedding.
 */
export function inferBackbone(t: Map<string, SafeTensor>): Partial<TrainConfig> {
  const s = (n: string) => shapeOf(t, `backbone.${n}`);
  if (s('patch_embed.proj.weight')) {
    const [D, , p] = s('patch_embed.proj.weight')!;
    const tokens = s('pos_embed')?.[1] ?? 1;
    const grid = Math.round(Math.sqrt(tokens - 1));
    let depth = 0;
    while (t.has(`backbone.blocks.${depth}.attn.qkv.weight`)) depth++;
    if (D !== 192 && D !== 384)
      throw new Error(
        `the file holds a ViT ${D} wide: the studio builds ViT-Tiny (192) and ViT-Small (384) without metadata; import the file train_vicreg.py wrote, which names its config`,
      );
    return { backbone: D === 192 ? 'vit-tiny' : 'vit-small', widthMult: 1, patchSize: p, vitDepth: depth, imageSize: grid * p };
  }
  if (s('features.0.0.weight')) {
    // The multiplier whose channel plan (torchvision's rounding to multiples of 8) gives every
    // block's output width in the file; scanned, since rounding hides it.
    const first = s('features.0.0.weight')![0];
    const fits = (wm: number) => {
      const plan = mobilenetV2Plan(wm);
      // Each block's width is its projection's, the plan's last conv (torchvision's naming there).
      return plan.first === first && plan.blocks.every((b) => shapeOf(t, `${b.convs[b.convs.length - 1].name}.weight`)?.[0] === b.cout);
    };
    const candidates = [first / 32, 0.35, 0.5, 0.75, 1, 1.3, 1.4, ...Array.from({ length: 400 }, (_, i) => (i + 1) / 100)];
    return { backbone: 'mobilenetv2', widthMult: candidates.find(fits) ?? first / 32, imageSize: 112 };
  }
  if (s('layer1.0.conv1.weight')) {
    const bottleneck = !!s('layer1.0.conv3.weight');
    const deep = t.has('backbone.layer3.5.conv1.weight');
    const [stem, , k] = s('conv1.weight')!;
    const imagenet = k === 7;
    return {
      backbone: bottleneck ? 'resnet50' : deep ? 'resnet34' : 'resnet18',
      widthMult: stem / 64,
      stem: imagenet ? 'imagenet' : 'cifar',
      imageSize: imagenet ? 112 : 32,
    };
  }
  if (s('conv1_conv.weight') && s('conv2_block1_1_conv.weight')) {
    // ResNet50V2 under Keras's layer names (workers/torch/models.py ResNet50V2).
    const [stem, , k] = s('conv1_conv.weight')!;
    return { backbone: 'resnet50v2', widthMult: stem / 64, stem: k === 7 ? 'imagenet' : 'cifar', imageSize: k === 7 ? 112 : 32 };
  }
  if (s('conv4.weight') && s('bn4.weight')) return { backbone: 'small-cnn', width: s('conv1.weight')![0], imageSize: 32 };
  throw new Error(
    "the file's tensors are not those of a backbone the studio builds (small CNN, ResNet-18/34/50, ResNet50V2, MobileNetV2, ViT-Tiny/Small): none of conv1/layer1, conv1_conv, features.0, patch_embed was found",
  );
}

/** The projector spec the tensors describe ("32-16"), or null when the file has none. */
function inferProjector(t: Map<string, SafeTensor>): string | null {
  const sizes: number[] = [];
  for (let i = 0; t.has(`projector.${i}.weight`); i += 3) sizes.push(t.get(`projector.${i}.weight`)!.shape[0]);
  return sizes.length ? sizes.join('-') : null;
}

/** float32 values of a tensor in any float dtype a state dict uses. */
function toFloat32(name: string, t: SafeTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const bytes = t.data.slice(); // aligned copy
  if (t.dtype === 'F32') return new Float32Array(bytes.buffer, 0, n);
  if (t.dtype === 'F64') return Float32Array.from(new Float64Array(bytes.buffer, 0, n));
  const u16 = new Uint16Array(bytes.buffer, 0, n);
  if (t.dtype === 'BF16') return new Float32Array(Uint32Array.from(u16, (h) => h << 16).buffer);
  if (t.dtype === 'F16') {
    return Float32Array.from(u16, (h) => {
      const e = (h >> 10) & 0x1f;
      const f = h & 0x3ff;
      const v = e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15);
      return h & 0x8000 ? -v : v;
    });
  }
  throw new Error(`the tensor ${name} is ${t.dtype}; weights must be floating point (F32, F64, F16 or BF16)`);
}

/** The tensors of the file under the studio's names, and its metadata. */
interface ReadFile {
  md: Record<string, string>;
  tensors: Map<string, SafeTensor>;
}

/**
 * Step 1: the file read and verified before anything is built from it: a size no model needs is
 * refused before parsing, a CRC-32 the studio's export wrote must match (damage after writing),
 * and the names become the studio's, less the keys no studio model has (DROPPED).
 */
function readVerified(bytes: Uint8Array): ReadFile {
  if (bytes.byteLength > MAX_IMPORT_BYTES)
    throw new Error(
      `the file is ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_IMPORT_BYTES / 2 ** 20} MiB the largest model needs`,
    );
  const file = readSafetensors(bytes);
  const md = file.metadata;
  if (md.tensors_crc32 !== undefined) {
    const crc = tensorsCrc32(file.tensors);
    if (crc !== md.tensors_crc32)
      throw new Error(
        `the file fails its CRC-32 check (its metadata says ${md.tensors_crc32.slice(0, 8)}, the tensors give ${crc}): it was damaged after it was written. Export it again.`,
      );
  }
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of file.tensors) if (!DROPPED.test(name.replace(/^module\./, ''))) tensors.set(studioName(name), t);
  return { md, tensors };
}

/**
 * Step 2: the config, the studio's own where its metadata has one (train_vicreg.py and the
 * studio's export write it), else inferred from the tensors; `inferred` says what was guessed,
 * for the user to check, and `projector` is null when the file has none (a fresh one is built).
 */
function importConfig({ md, tensors }: ReadFile): { config: TrainConfig; inferred: string | null; projector: string | null } {
  const projector = inferProjector(tensors);
  if (md.config !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(md.config);
    } catch {
      throw new Error('the file\'s metadata "config" is not valid JSON: the file is damaged');
    }
    return { config: parseOrThrow(configSchema, raw, 'the file\'s metadata "config" is damaged'), inferred: null, projector };
  }
  const backbone = inferBackbone(tensors);
  const config = parseOrThrow(
    configSchema,
    { ...DEFAULT_CONFIG, ...backbone, projector: projector ?? DEFAULT_CONFIG.projector, epochs: 1 },
    'the architecture inferred from it does not fit the studio',
  );
  const inferred = `${config.backbone}${config.backbone.startsWith('resnet') ? ` (${config.stem} stem)` : ''}${config.widthMult !== 1 && config.backbone !== 'small-cnn' ? `, width ×${config.widthMult}` : ''}, ${config.imageSize} px${projector ? `, projector ${projector}` : ', no projector (a fresh one is initialised)'}`;
  return { config, inferred, projector };
}

/** A parameter of the model the config builds. */
interface Expected {
  name: string;
  shape: number[];
  init: tf.Variable;
}

/**
 * Step 3: the file against the model the config builds, names then shapes in PyTorch's layout,
 * all from the header so that no value is converted for a file that does not fit. Returns the
 * projector parameters the file lacks (kept at their init); throws naming the first differences.
 */
function checkTensors(
  expected: Expected[],
  tensors: Map<string, SafeTensor>,
  config: TrainConfig,
  projector: string | null,
  inferred: string | null,
): Set<string> {
  const problems: string[] = [];
  const fresh = new Set<string>();
  for (const e of expected) {
    const t = tensors.get(e.name);
    const perm = TO_TORCH[layoutOf(config.backbone, e.name, e.shape)];
    const torchShape = perm ? perm.map((i) => e.shape[i]) : e.shape;
    if (!t) {
      if (e.name.startsWith('projector.') && projector === null) fresh.add(e.name);
      else problems.push(`${e.name} is missing`);
    } else if (t.shape.join('x') !== torchShape.join('x'))
      problems.push(`${e.name} is [${t.shape}] in the file, [${torchShape}] in this model`);
  }
  const known = new Set(expected.map((e) => e.name));
  for (const name of tensors.keys()) if (!known.has(name)) problems.push(`${name} is not part of this model`);
  if (problems.length)
    throw new Error(
      `the file's tensors do not fit ${inferred ?? `the model its metadata describes (${config.backbone})`}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
    );
  return fresh;
}

/**
 * Step 4: the values, float32 in the studio's layout, back to back in the model's order, as a
 * checkpoint stores them (workers/checkpoint/record.ts); the fresh projector's from its init.
 */
function modelValues(
  expected: Expected[],
  fresh: Set<string>,
  tensors: Map<string, SafeTensor>,
  backbone: TrainConfig['backbone'],
): { entries: TensorEntry[]; data: Float32Array } {
  const entries: TensorEntry[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const e of expected) {
    let values: Float32Array;
    if (fresh.has(e.name)) values = e.init.dataSync() as Float32Array;
    else {
      const t = tensors.get(e.name)!;
      const perm = TO_TORCH[layoutOf(backbone, e.name, e.shape)];
      values = toFloat32(e.name, t);
      if (perm) values = permute(values, t.shape, inverse(perm)).values;
    }
    entries.push({ name: e.name, shape: e.shape.slice(), offset });
    parts.push(values);
    offset += values.length;
  }
  const data = new Float32Array(offset);
  parts.forEach((p, i) => data.set(p, entries[i].offset));
  return { entries, data };
}

/**
 * Step 5: the checkpoint's meta. Where the run stands as train_vicreg.py says when that is
 * consistent, else one finished step (a foreign file has no schedule to resume; it is for
 * evaluation and export); the normalization the file names, else torchvision's ImageNet one.
 */
function importMeta(
  md: Record<string, string>,
  config: TrainConfig,
  fileName: string,
  entries: TensorEntry[],
  values: number,
): CheckpointMeta {
  const num = (k: string) => (md[k] !== undefined && /^\d+$/.test(md[k]) ? Number(md[k]) : NaN);
  const perEpoch = num('steps_per_epoch');
  const [step, epoch, inEpoch] = [num('step'), num('epoch'), num('step_in_epoch')];
  const consistent = perEpoch >= 1 && step === epoch * perEpoch + inEpoch && inEpoch < perEpoch && step <= perEpoch * config.epochs;
  const position = consistent
    ? { step, epoch, stepInEpoch: inEpoch, totalSteps: perEpoch * config.epochs, finished: step === perEpoch * config.epochs }
    : { step: config.epochs, epoch: config.epochs, stepInEpoch: 0, totalSteps: config.epochs, finished: true };
  let normalization: CheckpointMeta['normalization'] = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }; // torchvision's ImageNet
  if (md.normalization !== undefined) {
    try {
      normalization = JSON.parse(md.normalization) as CheckpointMeta['normalization'];
    } catch {
      throw new Error('the file\'s metadata "normalization" is not valid JSON: the file is damaged');
    }
  }
  const meta = {
    format: FORMAT_VERSION,
    appVersion: md.app_version?.slice(0, 100) || APP_VERSION,
    runId: newRunId(),
    runName: (md.run_name ?? fileName.replace(/\.safetensors$/i, '')).slice(0, 200) || 'PyTorch weights',
    createdAt: Date.now(),
    reason: 'import' as const,
    ...position,
    rng: { state: config.seed, epochStart: config.seed },
    config,
    dataset: { id: md.dataset_id?.slice(0, 200) ?? 'pytorch', name: md.dataset_name?.slice(0, 200) ?? 'PyTorch' },
    normalization,
    model: entries,
    optimizer: [],
    avt: null,
    values,
    metrics: [],
  };
  return meta as CheckpointMeta;
}

/**
 * A checkpoint of the model a safetensors file holds, checked against that model's names and
 * shapes before any value is converted. `fileName` names the run when the file does not.
 * Throws, naming the first differences, when the tensors are not exactly the model's.
 */
export function checkpointFromSafetensors(bytes: Uint8Array, fileName: string): { checkpoint: Checkpoint; inferred: string | null } {
  const file = readVerified(bytes);
  const { config, inferred, projector } = importConfig(file);
  const model = buildModel(config);
  let values: { entries: TensorEntry[]; data: Float32Array };
  try {
    const expected = model.store.params.map((p) => ({ name: p.name, shape: p.variable.shape, init: p.variable }));
    const fresh = checkTensors(expected, file.tensors, config, projector, inferred);
    values = modelValues(expected, fresh, file.tensors, config.backbone);
  } finally {
    model.dispose();
  }
  const meta = importMeta(file.md, config, fileName, values.entries, values.data.length);
  return { checkpoint: { meta, data: values.data }, inferred };
}
