// The model card: what a configuration costs before it trains. Pure arithmetic over the shapes in
// arch.ts (no TF.js: the UI imports this file). Conventions, stated once:
//   params      trainable weights, as torch's sum(p.numel() for p in model.parameters());
//               BatchNorm running statistics are buffers, counted apart.
//   FLOPs       one forward pass of one image: 2 × the multiply-adds of every conv, dense layer and
//               attention matmul (q·kᵀ and softmax·v). Norms, activations, softmax, pooling and
//               additions are left out (a few % of a conv net, more of a ViT at small widths).
//   memory      float32 throughout: weights + their gradients + optimizer slots (LARS and SGD keep
//               one momentum per weight, AdamW two moments) + two update temporaries per weight;
//               plus activations: every op output of the forward pass counted once (conv, norm,
//               activation, residual add, pool; attention's projections, heads, scores, softmax),
//               which matches TF.js's live bytes after a forward pass to 1% for the conv nets, times
//               tapeFactor for the backward pass, for both views of a batch.
import type { MeasureSpec } from '../contract/api';
import { DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import {
  mobilenetV2Plan,
  outSize,
  resnetPlan,
  resnetV2Plan,
  smallCnnPlan,
  vitPlan,
  type BackboneConfig,
  type ConvPlan,
  type ResnetName,
} from './arch';

export type CardConfig = BackboneConfig & Pick<TrainConfig, 'projector' | 'imageSize' | 'batchSize' | 'optimizer' | 'recompute'>;

/** Sums over a network's layers, per image. */
export interface Tally {
  params: number; // trainable values
  buffers: number; // BatchNorm running mean and variance
  macs: number; // multiply-adds of one forward pass
  activations: number; // values the tape keeps for backward
  largest: number; // values in the largest single activation
  segments: number[]; // activations of each segment of encoder.ts's chain, for recomputation
  kept: number; // values of the segment outputs recomputation keeps (the backbone's features among them)
}

const empty = (): Tally => ({ params: 0, buffers: 0, macs: 0, activations: 0, largest: 0, segments: [], kept: 0 });

/** Accumulates layers; each method returns the output side so layers chain. */
class Counter {
  readonly t = empty();
  private segmentStart = 0;
  keep(values: number): void {
    this.t.activations += values;
    this.t.largest = Math.max(this.t.largest, values);
  }
  /** Ends a segment (a stage, a block) whose output has `out` values. */
  mark(out: number): void {
    this.t.segments.push(this.t.activations - this.segmentStart);
    this.segmentStart = this.t.activations;
    this.t.kept += out;
  }
  /** k×k conv, torch padding: cin·cout·k² weights (groups: depthwise when cin = groups); a bias
   *  adds cout weights and its own output (a separate add). */
  conv(h: number, k: number, cin: number, cout: number, stride: number, pad: number, groups = 1, bias = false): number {
    const ho = outSize(h, k, stride, pad);
    const w = (k * k * cin * cout) / groups;
    this.t.params += w + (bias ? cout : 0);
    this.t.macs += ho * ho * w;
    this.keep(ho * ho * cout);
    if (bias) this.keep(ho * ho * cout);
    return ho;
  }
  /** BatchNorm over c channels of an h×h map: gamma, beta; running mean, variance. */
  bn(h: number, c: number): void {
    this.t.params += 2 * c;
    this.t.buffers += 2 * c;
    this.keep(h * h * c);
  }
  /** A conv of arch.ts's plans, then its BatchNorm if it has one (a ReLU after it is the same
   *  kernel; MobileNetV2's ReLU6 is not, its tally keeps that apart). */
  planned(h: number, c: ConvPlan): number {
    const ho = this.conv(h, c.k, c.cin, c.cout, c.stride, Math.floor(c.k / 2), c.depthwise ? c.cin : 1, c.bias);
    if (c.bn) this.bn(ho, c.cout);
    return ho;
  }
  dense(n: number, inDim: number, outDim: number, bias: boolean): void {
    this.t.params += inDim * outDim + (bias ? outDim : 0);
    this.t.macs += n * inDim * outDim;
    this.keep(n * outDim);
  }
}

/** ResNet of arch.ts at an image side; see resnet.ts. */
function resnetTally(config: CardConfig): Tally {
  const plan = resnetPlan(config.backbone as ResnetName, config.widthMult, config.stem);
  const n = new Counter();
  let h = n.planned(config.imageSize, plan.stemConv);
  if (plan.pool) {
    h = outSize(h, 3, 2, 1);
    n.keep(h * h * plan.stem);
  }
  n.mark(h * h * plan.stem);
  for (const b of plan.blocks) {
    const hb = b.convs.reduce((hi, conv) => n.planned(hi, conv), h);
    if (b.downsample) n.planned(h, b.downsample);
    n.keep(2 * hb * hb * b.cout); // residual add, ReLU
    n.mark(hb * hb * b.cout);
    h = hb;
  }
  return n.t;
}

/** ResNet50V2 of arch.ts; see resnetv2.ts. */
function resnetV2Tally(config: CardConfig): Tally {
  const plan = resnetV2Plan(config.widthMult, config.stem);
  const n = new Counter();
  let h = n.planned(config.imageSize, plan.stemConv);
  if (plan.pool) {
    n.keep((h + 2) * (h + 2) * plan.stem); // zero padding
    h = outSize(h + 2, 3, 2, 0);
    n.keep(h * h * plan.stem);
  }
  n.mark(h * h * plan.stem);
  for (const b of plan.blocks) {
    n.bn(h, b.cin); // preact, with its ReLU (one kernel)
    if (b.shortcut) n.planned(h, b.shortcut);
    const ho = b.convs.reduce((hi, conv) => n.planned(hi, conv), h);
    if (!b.shortcut && b.stride > 1) n.keep(ho * ho * b.cout); // subsampled identity
    n.keep(ho * ho * b.cout); // residual add
    n.mark(ho * ho * b.cout);
    h = ho;
  }
  n.bn(h, plan.featureDim); // post_bn, with its ReLU
  n.mark(h * h * plan.featureDim);
  return n.t;
}

function mobilenetV2Tally(config: CardConfig): Tally {
  const plan = mobilenetV2Plan(config.widthMult);
  const n = new Counter();
  const convBn = (h: number, conv: ConvPlan) => {
    const ho = n.planned(h, conv);
    if (conv.relu) n.keep(ho * ho * conv.cout); // ReLU6
    return ho;
  };
  let h = convBn(config.imageSize, plan.firstConv);
  n.mark(h * h * plan.first);
  for (const b of plan.blocks) {
    const hb = b.convs.reduce(convBn, h);
    if (b.residual) n.keep(hb * hb * b.cout);
    n.mark(hb * hb * b.cout);
    h = hb;
  }
  convBn(h, plan.lastConv);
  n.mark(h * h * plan.last);
  return n.t;
}

function vitTally(config: CardConfig): Tally {
  const v = vitPlan(config.backbone as 'vit-tiny' | 'vit-small', config.widthMult, config.patchSize, config.imageSize);
  const { dim: D, heads: H, tokens: N, hidden: F } = v;
  const n = new Counter();
  const p = config.patchSize;
  n.conv(v.grid * p, p, 3, D, p, 0);
  n.t.params += D + D + N * D; // patch bias, class token, position embedding
  n.keep(2 * N * D); // tokens with the class token, plus position
  n.mark(N * D);
  // Each LayerNorm leaves 4 tensors of its input's size (centred, scaled, times gamma, plus beta).
  for (let i = 0; i < config.vitDepth; i++) {
    n.t.params += 4 * D; // norm1, norm2
    n.keep(4 * N * D); // norm1
    n.dense(N, D, 3 * D, true);
    n.keep(3 * N * D); // split into q, k, v
    n.keep(4 * N * D); // q scaled; q, k, v to heads
    n.t.macs += 2 * H * N * N * v.headDim; // q·kᵀ and softmax·v
    n.keep(H * N * N); // scores
    n.keep(H * N * N); // softmax
    n.keep(2 * N * D); // softmax·v, heads back to tokens
    n.dense(N, D, D, true);
    n.keep(N * D); // residual
    n.keep(4 * N * D); // norm2
    n.dense(N, D, F, true);
    n.keep(5 * N * F); // GELU: x/2, x/√2, erf, 1 + erf, product
    n.dense(N, F, D, true);
    n.keep(N * D); // residual
    n.mark(N * D);
  }
  n.t.params += 2 * D; // final norm
  n.keep(5 * D); // class token, final norm
  n.mark(D);
  return n.t;
}

function smallCnnTally(config: CardConfig): Tally {
  const n = new Counter();
  let h = config.imageSize;
  // encoder.ts pads 'same': ⌈h / s⌉, which torch padding 1 also gives for a 3×3 kernel.
  for (const conv of smallCnnPlan(config.width).convs) {
    h = n.planned(h, conv);
    n.mark(h * h * conv.cout);
  }
  return n.t;
}

export function backboneTally(config: CardConfig): Tally {
  switch (config.backbone) {
    case 'small-cnn':
      return smallCnnTally(config);
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      return resnetTally(config);
    case 'resnet50v2':
      return resnetV2Tally(config);
    case 'mobilenetv2':
      return mobilenetV2Tally(config);
    case 'vit-tiny':
    case 'vit-small':
      return vitTally(config);
  }
}

export function featureDim(config: BackboneConfig & { imageSize: number }): number {
  switch (config.backbone) {
    case 'small-cnn':
      return smallCnnPlan(config.width).featureDim;
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      return resnetPlan(config.backbone, config.widthMult, config.stem).featureDim;
    case 'resnet50v2':
      return resnetV2Plan(config.widthMult, config.stem).featureDim;
    case 'mobilenetv2':
      return mobilenetV2Plan(config.widthMult).last;
    case 'vit-tiny':
    case 'vit-small':
      return vitPlan(config.backbone, config.widthMult, config.patchSize, config.imageSize).dim;
  }
}

/** projector.ts: Linear(+bias)-BN-ReLU per hidden size, a final Linear without bias; per image. */
export function projectorTally(inDim: number, spec: string): Tally {
  const f = [inDim, ...spec.split('-').map(Number)];
  const n = new Counter();
  for (let i = 0; i < f.length - 2; i++) {
    n.dense(1, f[i], f[i + 1], true);
    n.bn(1, f[i + 1]); // with its ReLU (one kernel)
  }
  n.dense(1, f[f.length - 2], f[f.length - 1], false);
  return n.t;
}

/** Optimizer state per weight (optimizers.ts): LARS and SGD one momentum, AdamW two moments. */
export const SLOTS: Record<TrainConfig['optimizer'], number> = { lars: 1, sgd: 1, adamw: 2 };

const BYTES = 4; // float32

/**
 * Peak bytes of a TF.js forward + backward pass over the forward's op outputs counted here,
 * measured on cpu and wasm alike: 2.5 to 3.1 for the conv nets, 3.7 to 4.6 for the ViTs. TF.js
 * keeps the gradient of every tensor until the end of the backward pass (tfjs-core tape.ts
 * backpropagateGradients disposes none of them). With TF.js's own BatchNorm gradient the conv nets
 * measured 6.7 to 7.7: layers.ts gives BatchNorm a hand-written one for that reason. A BatchNorm
 * followed by ReLU counts one output: one fused kernel on WASM, WebGPU and CPU
 * (model/batchnorm.ts); WebGL's composite route keeps one more, about a third more activations
 * for the conv nets there.
 */
export const tapeFactor = (backbone: CardConfig['backbone']) => (backbone.startsWith('vit') ? 4.5 : 3);

/** Per weight: the weight, its gradient, and two temporaries of the optimizer's update. */
const PER_WEIGHT = 4;

export interface ModelCard {
  featureDim: number;
  params: { backbone: number; projector: number; total: number; buffers: number };
  flops: { backbone: number; projector: number; total: number }; // per image, forward
  memory: {
    weights: number; // bytes: weights, gradients and optimizer slots
    activations: number; // bytes of the forward and backward passes of both views of a batch
    total: number;
    largestTensor: number; // bytes of the largest single activation at this batch size
    perImage: number; // forward activation bytes per image per view (memory grows by 2·tapeFactor× this per image)
    /** With recomputation (workers/train/recompute.ts): the segment outputs of both views, plus the
     *  larger of one segment's forward and backward for one view and the projector's for both. */
    recompute: { activations: number; total: number; perImage: number };
  };
}

export function modelCard(config: CardConfig): ModelCard {
  const b = backboneTally(config);
  const dim = featureDim(config);
  const p = projectorTally(dim, config.projector);
  const perImage = (b.activations + p.activations + dim) * BYTES; // + the pooled features
  const weights = (b.params + p.params) * (PER_WEIGHT + SLOTS[config.optimizer]) * BYTES + (b.buffers + p.buffers) * BYTES;
  const taped = tapeFactor(config.backbone);
  const activations = taped * 2 * config.batchSize * perImage;
  const recomputePerImage = (2 * (b.kept + dim) + taped * Math.max(...b.segments, 2 * (p.activations + dim))) * BYTES;
  const recomputeActivations = config.batchSize * recomputePerImage;
  return {
    featureDim: dim,
    params: { backbone: b.params, projector: p.params, total: b.params + p.params, buffers: b.buffers + p.buffers },
    flops: { backbone: 2 * b.macs, projector: 2 * p.macs, total: 2 * (b.macs + p.macs) },
    memory: {
      weights,
      activations,
      total: weights + activations,
      largestTensor: config.batchSize * Math.max(b.largest, p.largest) * BYTES,
      perImage,
      recompute: { activations: recomputeActivations, total: weights + recomputeActivations, perImage: recomputePerImage },
    },
  };
}

/** The limits a backend puts on one run; null fields are unknown. */
export interface BackendLimits {
  backend: string;
  maxBufferSize: number | null; // WebGPU adapter limits, bytes
  maxStorageBufferBindingSize: number | null;
  maxTotal: number | null; // bytes of memory in all
}

/** wasm32 addresses at most 4 GiB: the WASM backend's heap cannot grow past it. */
export const WASM_HEAP_LIMIT = 4294901760; // tfjs-backend-wasm 4.22's getHeapMax(): 4 GiB − 64 KiB

export interface CardWarning {
  limit: string;
  message: string;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;

/**
 * Where the estimate exceeds a backend limit, what to change: the largest batch that fits (memory
 * grows linearly with it), else a smaller model. A single tensor must fit one storage binding
 * (WebGPU binds each tensor's buffer whole); the sum must fit the heap (WASM).
 */
export function cardWarnings(
  card: ModelCard,
  config: Pick<CardConfig, 'batchSize' | 'backbone' | 'recompute'>,
  limits: BackendLimits,
): CardWarning[] {
  const out: CardWarning[] = [];
  const perImageLargest = card.memory.largestTensor / config.batchSize;
  const fix = (maxBatch: number) =>
    maxBatch >= 2
      ? `lower batchSize to at most ${maxBatch}, or lower imageSize or widthMult`
      : 'lower imageSize or widthMult, or choose a smaller backbone';
  for (const [name, limit] of [
    ['maxStorageBufferBindingSize', limits.maxStorageBufferBindingSize],
    ['maxBufferSize', limits.maxBufferSize],
  ] as const) {
    if (limit !== null && card.memory.largestTensor > limit) {
      out.push({
        limit: name,
        message: `The largest activation (${mib(card.memory.largestTensor)}) exceeds ${limits.backend}'s ${name} (${mib(limit)}): ${fix(Math.floor(limit / perImageLargest))}.`,
      });
    }
  }
  const max = limits.maxTotal;
  if (max === null) return out;
  const m = usesRecompute(card, config.recompute, max)
    ? { ...card.memory.recompute, with: ' with recomputation' }
    : { ...card.memory, perImage: 2 * tapeFactor(config.backbone) * card.memory.perImage, with: '' };
  if (m.total > max) {
    const maxBatch = Math.floor((max - card.memory.weights) / m.perImage);
    const turnOn =
      config.recompute === 'off' && card.memory.recompute.total <= max
        ? 'set recompute to auto (the same step, for about a third more time), or '
        : '';
    out.push({
      limit: 'memory',
      message: `The estimated training memory${m.with} (${mib(m.total)}) exceeds what ${limits.backend} can hold (${mib(max)}): ${turnOn}${fix(maxBatch)}.`,
    });
  }
  return out;
}

/** Whether a run recomputes: `on`, or `auto` where the plain estimate passes the backend's memory. */
export function usesRecompute(card: ModelCard, setting: TrainConfig['recompute'], maxTotal: number | null): boolean {
  return setting === 'on' || (setting === 'auto' && maxTotal !== null && card.memory.total > maxTotal);
}

/**
 * Seconds per epoch of `images` from a probe that measured `msPerImage` on a model of
 * `probeFlops` per image: training time scales with FLOPs (forward and backward alike), an
 * approximation good to a factor of about 2 across architectures.
 */
export function epochSeconds(msPerImage: number, probeFlops: number, flops: number, images: number): number {
  return (msPerImage * (flops / probeFlops) * images) / 1000;
}

/** Largest side of auto's probe images: a ResNet-50 at 224 px would take minutes on a software GPU. */
export const PROBE_MAX_SIZE = 64;

/**
 * What auto's probe trains for a MeasureSpec (pure): the run's architecture, width and projector
 * at its image size capped to PROBE_MAX_SIZE (at least one ViT patch), at `batchSize`.
 */
export function probeConfig(spec: MeasureSpec, batchSize: number): TrainConfig {
  const c: TrainConfig = { ...DEFAULT_CONFIG, ...Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)), batchSize };
  const sized = { ...c, imageSize: Math.max(Math.min(spec.imageSize, PROBE_MAX_SIZE), c.backbone.startsWith('vit') ? c.patchSize : 1) };
  if (modelCard(sized).params.total <= PROBE_MAX_PARAMS) return sized;
  // A config from a URL can ask for any width (a 99999-wide projector is 10^10 weights): the probe
  // ranks backends, so a capped stand-in does, and the card scales by its FLOPs all the same.
  const projector = sized.projector
    .split('-')
    .map((w) => Math.min(Number(w), PROBE_MAX_PROJECTOR))
    .join('-');
  return { ...sized, projector, width: Math.min(sized.width, PROBE_MAX_WIDTH) };
}

/** auto's probe builds at most this many parameters (the published recipes have 12–35 M)... */
export const PROBE_MAX_PARAMS = 60e6;
/** ... else it times a stand-in with projector layers of at most this width, */
export const PROBE_MAX_PROJECTOR = 2048;
/** ... and a small CNN of at most this width. */
export const PROBE_MAX_WIDTH = 64;
