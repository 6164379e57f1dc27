// The run configuration: one typed record, grouped as in main_vicreg.py (Data, Model, Optim,
// Loss, Eval) plus Runtime. Imported by the UI and the worker alike: no DOM, no TF.js here.

export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export const BACKBONES = ['small-cnn', 'resnet18', 'resnet34', 'resnet50', 'resnet50v2', 'mobilenetv2', 'vit-tiny', 'vit-small'] as const;
export type Backbone = (typeof BACKBONES)[number];

export const FEAT_POOLS = ['global', '2x2', '4x4'] as const;
export type FeatPool = (typeof FEAT_POOLS)[number];

export interface TrainConfig {
  // Data
  seed: number; // one seed for init, shuffling and augmentation
  imageSize: number; // px, side of the square crop fed to the encoder
  progressiveFrom: number; // px: the crop side the run starts at, growing to imageSize (FFCV's progressive resizing); 0 = off
  progressiveUntil: number; // share of the run by which the crop side reaches imageSize
  batchSize: number; // images per view per step
  testFraction: number; // share of each class held out for evaluation
  // Augment (official augmentations.py; "1"/"2" = view 1/view 2, the only settings that differ)
  cropScaleMin: number; // RandomResizedCrop area scale, lower bound (official 0.08)
  cropScaleMax: number; // ... upper bound (official 1)
  ratioMin: number; // RandomResizedCrop aspect ratio range (official 3/4 .. 4/3)
  ratioMax: number;
  flipProb: number; // horizontal flip probability (0.5)
  jitterProb: number; // probability of ColorJitter (0.8)
  brightness: number; // ColorJitter strengths: factor ~ U(1 − s, 1 + s) (0.4, 0.4, 0.2)
  contrast: number;
  saturation: number;
  hue: number; // hue shift ~ U(−hue, hue), in turns (0.1)
  grayscaleProb: number; // RandomGrayscale (0.2)
  blurProb1: number; // GaussianBlur probability, view 1 (1.0) and view 2 (0.1)
  blurProb2: number;
  blurSigmaMin: number; // blur sigma ~ U(min, max) in output pixels (0.1 .. 2.0)
  blurSigmaMax: number;
  solarizeProb1: number; // Solarization probability, view 1 (0.0) and view 2 (0.2)
  solarizeProb2: number;
  // Model
  backbone: Backbone; // encoder family (workers/model/*.ts); small-cnn for quick CPU runs
  width: number; // channels of the small CNN's first layer (doubles at each of 3 strided layers)
  widthMult: number; // ResNet, MobileNetV2, ViT: multiplier on the published channel counts (1 = as published)
  stem: 'cifar' | 'imagenet'; // ResNet: 3×3 stride 1 (small images) or 7×7 stride 2 + max-pool (large)
  zeroInitResidual: 'on' | 'off'; // ResNet: last BN of each block starts at gamma = 0 (official main_vicreg.py)
  patchSize: number; // ViT: side of the square patches, px
  vitDepth: number; // ViT: transformer blocks (12 in ViT-Ti/S)
  projector: string; // hidden and output sizes, as the official --mlp "8192-8192-8192"
  // Optim
  optimizer: 'lars' | 'adamw' | 'sgd';
  epochs: number;
  budgetMinutes: number; // > 0: epochs are set from the measured step time so that the run ends within this many minutes
  baseLr: number; // lr = baseLr * batchSize / 256 (official adjust_learning_rate)
  weightDecay: number;
  momentum: number; // LARS / SGD momentum; Adam beta1
  eta: number; // LARS trust coefficient
  warmupEpochs: number; // linear warmup from 0 (official: 10)
  gradClip: number; // global gradient-norm clip; 0 = off
  // Loss
  simCoeff: number; // invariance weight (official 25)
  stdCoeff: number; // variance weight (official 25)
  covCoeff: number; // covariance weight (official 1)
  gamma: number; // variance hinge target (official 1)
  eps: number; // added to the variance before the square root (official 1e-4)
  varianceMode: 'fixed' | 'adaptive'; // adaptive = Adaptive Variance Targeting (AVT)
  covarianceMode: 'offdiag' | 'sicov'; // sicov = Scale-Invariant Covariance
  emaMomentum: number; // AVT: EMA momentum of the per-dimension std
  gammaMin: number; // AVT: lower clip of gammaT
  gammaMax: number; // AVT: upper clip of gammaT
  rampSteps: number; // cosine ramp of simCoeff and covCoeff over this many steps; 0 = off
  rampStart: number; // ramp starts at this fraction of the coefficient
  // Eval
  diagEvery: number; // steps between collapse diagnostics
  featLayer: 'pool' | 'proj'; // features evaluated: backbone pooled output or projector output
  featPool: FeatPool; // backbone readout: global average pool, or the last map pooled to 2×2 / 4×4 and flattened
  knnEvery: number; // steps between online k-NN evaluations during training; 0 = auto (≤ 5% of the training time), -1 = off
  knnK: number; // k-NN neighbours (Wu et al. 2018: 20)
  knnT: number; // k-NN temperature of the exp(similarity / T) vote (0.07)
  probeEpochs: number; // linear probe: epochs of SGD over the cached training features
  probeLr: number; // linear probe: peak learning rate (cosine decay to 0)
  probeWeightDecay: number; // linear probe: L2 on the weights
  probeOptimizer: 'sgd' | 'adam'; // linear probe: SGD momentum 0.9 or Adam (both with cosine decay)
  bnAdaptSteps: number; // forward passes in training mode that re-estimate BatchNorm statistics before extraction; 0 = off
  baselineEpochs: number; // fine-tune and supervised-from-scratch baselines: epochs over the training split; 0 = the run's training time
  baselineAugment: 'light' | 'view'; // their augmentation: a mild crop and a flip, or VICReg's view 1
  // Runtime
  backend: BackendChoice; // auto = time every backend that can train and keep the fastest
  recompute: 'auto' | 'on' | 'off'; // per-segment recomputation (gradient checkpointing); auto = on when the card's estimate passes the backend's memory
  metricsEvery: number; // steps per asynchronous metrics readback
  wasmThreads: number; // WASM threads: 0 = one per core (at most 8), 1 = single-threaded; read when WASM starts (docs/performance.md §3)
  checkpointEvery: number; // steps between automatic checkpoints (also at each epoch end and on Stop)
  keepCheckpoints: number; // checkpoints kept per run in the browser's storage; older ones are pruned
}

export const DEFAULT_CONFIG: TrainConfig = {
  seed: 0,
  imageSize: 32,
  progressiveFrom: 0,
  progressiveUntil: 0.75,
  batchSize: 128,
  testFraction: 0.2,
  cropScaleMin: 0.08,
  cropScaleMax: 1,
  ratioMin: 3 / 4,
  ratioMax: 4 / 3,
  flipProb: 0.5,
  jitterProb: 0.8,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.2,
  hue: 0.1,
  grayscaleProb: 0.2,
  blurProb1: 0,
  blurProb2: 0,
  blurSigmaMin: 0.1,
  blurSigmaMax: 2,
  solarizeProb1: 0,
  solarizeProb2: 0.2,
  backbone: 'small-cnn',
  width: 16,
  widthMult: 1,
  stem: 'cifar',
  zeroInitResidual: 'on',
  patchSize: 16,
  vitDepth: 12,
  projector: '256-256-256',
  optimizer: 'sgd',
  epochs: 30,
  budgetMinutes: 0,
  baseLr: 0.2,
  weightDecay: 5e-4,
  momentum: 0.9,
  eta: 0.001,
  warmupEpochs: 1,
  gradClip: 0,
  simCoeff: 25,
  stdCoeff: 25,
  covCoeff: 1,
  gamma: 1,
  eps: 1e-4,
  varianceMode: 'fixed',
  covarianceMode: 'offdiag',
  emaMomentum: 0.99,
  gammaMin: 0.1,
  gammaMax: 1,
  rampSteps: 0,
  rampStart: 0.1,
  diagEvery: 10,
  featLayer: 'pool',
  featPool: '4x4',
  knnEvery: 0,
  knnK: 20,
  knnT: 0.07,
  probeEpochs: 50,
  probeLr: 0.1,
  probeWeightDecay: 5e-4,
  probeOptimizer: 'sgd',
  bnAdaptSteps: 0,
  baselineEpochs: 0,
  baselineAugment: 'light',
  backend: 'auto',
  recompute: 'auto',
  metricsEvery: 4,
  wasmThreads: 0,
  checkpointEvery: 10,
  keepCheckpoints: 3,
};

const LOSS_KEYS = ['simCoeff', 'stdCoeff', 'covCoeff', 'gamma', 'eps', 'varianceMode', 'covarianceMode'] as const;
const AVT_KEYS = ['emaMomentum', 'gammaMin', 'gammaMax'] as const;
/** The settings the loss reads (workers/vicreg/loss.ts). */
export type LossOptions = Pick<TrainConfig, (typeof LOSS_KEYS)[number] | (typeof AVT_KEYS)[number]>;
/** The loss settings at their defaults: main_vicreg.py's coefficients (lambda = mu = 25, nu = 1,
 *  gamma = 1, eps = 1e-4), the fixed hinge and the off-diagonal covariance, and AVT's own defaults.
 *  workers/vicreg/loss.ts and the official preset take them from here. */
export const OFFICIAL_LOSS = Object.fromEntries([...LOSS_KEYS, ...AVT_KEYS].map((k) => [k, DEFAULT_CONFIG[k]])) as LossOptions;

export type Group = 'Data' | 'Augment' | 'Model' | 'Optim' | 'Loss' | 'Eval' | 'Runtime';
type Num = { kind: 'int' | 'float'; min: number; max: number };
type Choice = { kind: 'enum'; options: readonly string[] };
type Text = { kind: 'string'; pattern: RegExp; hint: string };
export type FieldSpec = { group: Group; help: string } & (Num | Choice | Text);

/** One entry per field: where it sits in the UI, what it means, which values are valid. */
export const FIELDS: { [K in keyof TrainConfig]: FieldSpec } = {
  seed: { group: 'Data', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'Seed for init, shuffling and augmentation' },
  imageSize: { group: 'Data', kind: 'int', min: 8, max: 256, help: 'Crop side in pixels fed to the encoder' },
  progressiveFrom: {
    group: 'Data',
    kind: 'int',
    min: 0,
    max: 256,
    help: 'Progressive resolution: the crop side at the start, growing in steps of 8 px to imageSize (a step at half the side costs a quarter); 0 = off',
  },
  progressiveUntil: {
    group: 'Data',
    kind: 'float',
    min: 0.05,
    max: 1,
    help: 'Progressive resolution: the share of the run by which the crop side reaches imageSize',
  },
  batchSize: { group: 'Data', kind: 'int', min: 2, max: 4096, help: 'Images per view per step (VICReg needs at least 2)' },
  testFraction: { group: 'Data', kind: 'float', min: 0, max: 0.9, help: 'Share of each class held out for evaluation' },
  cropScaleMin: { group: 'Augment', kind: 'float', min: 0.01, max: 1, help: 'Smallest crop area as a share of the image' },
  cropScaleMax: { group: 'Augment', kind: 'float', min: 0.01, max: 1, help: 'Largest crop area as a share of the image' },
  ratioMin: { group: 'Augment', kind: 'float', min: 0.1, max: 10, help: 'Smallest crop aspect ratio (width / height)' },
  ratioMax: { group: 'Augment', kind: 'float', min: 0.1, max: 10, help: 'Largest crop aspect ratio' },
  flipProb: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of a horizontal flip' },
  jitterProb: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of color jitter (its four parts in random order)' },
  brightness: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Brightness factor drawn from [1 - s, 1 + s]' },
  contrast: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Contrast factor drawn from [1 - s, 1 + s]' },
  saturation: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Saturation factor drawn from [1 - s, 1 + s]' },
  hue: { group: 'Augment', kind: 'float', min: 0, max: 0.5, help: 'Hue shift drawn from [-h, h] (in turns of the color wheel)' },
  grayscaleProb: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of turning a view gray' },
  blurProb1: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of Gaussian blur on view 1' },
  blurProb2: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of Gaussian blur on view 2' },
  blurSigmaMin: { group: 'Augment', kind: 'float', min: 0, max: 20, help: 'Smallest blur sigma in pixels (kernel about 10% of the side)' },
  blurSigmaMax: { group: 'Augment', kind: 'float', min: 0, max: 20, help: 'Largest blur sigma in pixels' },
  solarizeProb1: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of solarization (invert pixels >= 0.5) on view 1' },
  solarizeProb2: { group: 'Augment', kind: 'float', min: 0, max: 1, help: 'Probability of solarization on view 2' },
  backbone: {
    group: 'Model',
    kind: 'enum',
    options: BACKBONES,
    help: 'Encoder: small CNN, ResNet-18/34/50, ResNet50V2 (Keras, pre-activation), MobileNetV2 or ViT-Tiny/Small',
  },
  width: { group: 'Model', kind: 'int', min: 1, max: 512, help: 'Small CNN: channels of the first conv layer (x2 per stage)' },
  widthMult: {
    group: 'Model',
    kind: 'float',
    min: 0.01,
    max: 4,
    help: 'ResNet, MobileNetV2, ViT: multiplier on the published widths (1 = as published)',
  },
  stem: {
    group: 'Model',
    kind: 'enum',
    options: ['cifar', 'imagenet'],
    help: 'ResNet and ResNet50V2 stem: cifar = 3x3 stride 1 (small images), imagenet = 7x7 stride 2 + max-pool',
  },
  zeroInitResidual: {
    group: 'Model',
    kind: 'enum',
    options: ['on', 'off'],
    help: 'ResNet: the last BatchNorm of each block starts at gamma = 0',
  },
  patchSize: {
    group: 'Model',
    kind: 'int',
    min: 1,
    max: 64,
    help: 'ViT: patch side in pixels (the image is cut into (size / patch)^2 tokens)',
  },
  vitDepth: { group: 'Model', kind: 'int', min: 1, max: 24, help: 'ViT: number of transformer blocks' },
  projector: {
    group: 'Model',
    kind: 'string',
    pattern: /^\d{1,5}(-\d{1,5}){0,5}$/,
    hint: 'sizes joined by "-", e.g. 2048-2048-2048',
    help: 'Projector sizes: Linear-BN-ReLU per hidden size, final Linear',
  },
  optimizer: {
    group: 'Optim',
    kind: 'enum',
    options: ['lars', 'adamw', 'sgd'],
    help: 'LARS as in the official code, AdamW or SGD with momentum',
  },
  epochs: { group: 'Optim', kind: 'int', min: 1, max: 10000, help: 'Passes over the training split' },
  budgetMinutes: {
    group: 'Optim',
    kind: 'float',
    min: 0,
    max: 10000,
    help: 'Time budget in minutes: epochs are set from the measured step time so that warmup and cosine schedule end in time; 0 = use epochs',
  },
  baseLr: { group: 'Optim', kind: 'float', min: 0, max: 100, help: 'Peak lr = baseLr x batchSize / 256' },
  weightDecay: { group: 'Optim', kind: 'float', min: 0, max: 1, help: 'Weight decay (not on biases or BatchNorm)' },
  momentum: { group: 'Optim', kind: 'float', min: 0, max: 0.9999, help: 'Momentum (LARS, SGD) or beta1 (AdamW)' },
  eta: { group: 'Optim', kind: 'float', min: 0, max: 1, help: 'LARS trust coefficient' },
  warmupEpochs: { group: 'Optim', kind: 'float', min: 0, max: 1000, help: 'Linear warmup length, then cosine decay' },
  gradClip: { group: 'Optim', kind: 'float', min: 0, max: 1e6, help: 'Clip the global gradient norm; 0 = off' },
  simCoeff: { group: 'Loss', kind: 'float', min: 0, max: 1e4, help: 'Weight of the invariance term (lambda)' },
  stdCoeff: { group: 'Loss', kind: 'float', min: 0, max: 1e4, help: 'Weight of the variance term (mu)' },
  covCoeff: { group: 'Loss', kind: 'float', min: 0, max: 1e4, help: 'Weight of the covariance term (nu)' },
  gamma: { group: 'Loss', kind: 'float', min: 0, max: 100, help: 'Target std of each embedding dimension' },
  eps: { group: 'Loss', kind: 'float', min: 0, max: 1, help: 'Added to the variance before the square root' },
  varianceMode: {
    group: 'Loss',
    kind: 'enum',
    options: ['fixed', 'adaptive'],
    help: 'adaptive: the target follows the EMA median std (AVT)',
  },
  covarianceMode: {
    group: 'Loss',
    kind: 'enum',
    options: ['offdiag', 'sicov'],
    help: 'sicov: covariance normalized by its trace (scale-invariant)',
  },
  emaMomentum: { group: 'Loss', kind: 'float', min: 0, max: 1, help: 'AVT: EMA momentum of the per-dimension std' },
  gammaMin: { group: 'Loss', kind: 'float', min: 0, max: 100, help: 'AVT: lowest allowed target' },
  gammaMax: { group: 'Loss', kind: 'float', min: 0, max: 100, help: 'AVT: highest allowed target' },
  rampSteps: { group: 'Loss', kind: 'int', min: 0, max: 1e7, help: 'Cosine ramp of simCoeff and covCoeff; 0 = off' },
  rampStart: { group: 'Loss', kind: 'float', min: 0, max: 1, help: 'Ramp starts at this share of the coefficients' },
  diagEvery: { group: 'Eval', kind: 'int', min: 1, max: 1e6, help: 'Steps between collapse diagnostics' },
  featLayer: { group: 'Eval', kind: 'enum', options: ['pool', 'proj'], help: 'Features to evaluate: backbone (pool) or projector output' },
  featPool: {
    group: 'Eval',
    kind: 'enum',
    options: FEAT_POOLS,
    help: 'Backbone readout: global average pool, or the last feature map pooled to 2x2 / 4x4 and flattened (keeps the layout of centred images)',
  },
  knnEvery: {
    group: 'Eval',
    kind: 'int',
    min: -1,
    max: 1e6,
    help: 'Steps between online k-NN evaluations while training; 0 = auto (at most 5% of the training time), -1 = off',
  },
  knnK: { group: 'Eval', kind: 'int', min: 1, max: 1000, help: 'k-NN: neighbours that vote' },
  knnT: { group: 'Eval', kind: 'float', min: 0.001, max: 100, help: 'k-NN: temperature of the exp(similarity / T) vote' },
  probeEpochs: { group: 'Eval', kind: 'int', min: 1, max: 10000, help: 'Linear probe: epochs over the training features' },
  probeLr: {
    group: 'Eval',
    kind: 'float',
    min: 0,
    max: 100,
    help: 'Linear probe: peak learning rate, cosine decay (SGD about 0.1, Adam about 0.001 to 0.01)',
  },
  probeWeightDecay: { group: 'Eval', kind: 'float', min: 0, max: 1, help: 'Linear probe: weight decay' },
  probeOptimizer: { group: 'Eval', kind: 'enum', options: ['sgd', 'adam'], help: 'Linear probe: SGD with momentum 0.9, or Adam' },
  bnAdaptSteps: {
    group: 'Eval',
    kind: 'int',
    min: 0,
    max: 100000,
    help: 'BatchNorm adaptation: batches that re-estimate its running statistics on a copy before extraction; 0 = off',
  },
  baselineEpochs: {
    group: 'Eval',
    kind: 'int',
    min: 0,
    max: 1000,
    help: 'Fine-tune and supervised baselines: 0 = as long as the run trained (its epochs set from their own step time: a comparison at equal cost), else epochs of cross-entropy training over the training split',
  },
  baselineAugment: {
    group: 'Eval',
    kind: 'enum',
    options: ['light', 'view'],
    help: "Fine-tune and supervised baselines' augmentation: light = a random resized crop of scale 0.7–1 and a flip (better for supervised training, docs/recipes.md), view = VICReg's view 1",
  },
  backend: { group: 'Runtime', kind: 'enum', options: BACKENDS, help: 'auto times every backend that can train and keeps the fastest' },
  recompute: {
    group: 'Runtime',
    kind: 'enum',
    options: ['auto', 'on', 'off'],
    help: 'Recompute each block in the backward pass instead of keeping its activations: the published batch sizes fit in memory for about a third more time per step; auto = on when the estimate exceeds the backend',
  },
  metricsEvery: { group: 'Runtime', kind: 'int', min: 1, max: 1000, help: 'Steps per asynchronous metrics readback' },
  wasmThreads: {
    group: 'Runtime',
    kind: 'int',
    min: 0,
    max: 8,
    help: 'WASM threads: 0 = one per core (at most 8; fastest measured on 2 cores), 1 = single-threaded; applies when the page loads',
  },
  checkpointEvery: {
    group: 'Runtime',
    kind: 'int',
    min: 1,
    max: 1e6,
    help: 'Steps between checkpoints in browser storage (also at epoch ends and on Stop)',
  },
  keepCheckpoints: { group: 'Runtime', kind: 'int', min: 1, max: 100, help: 'Checkpoints kept per run; older ones are deleted' },
};

export interface ConfigWarning {
  key: string;
  value: string;
  reason: string;
}

/** Parses one value against its field; returns the value or a reason it was refused. */
export function parseField<K extends keyof TrainConfig>(key: K, raw: string): { value: TrainConfig[K] } | { reason: string } {
  const spec = FIELDS[key];
  if (spec.kind === 'enum') {
    return spec.options.includes(raw) ? { value: raw as TrainConfig[K] } : { reason: `expected one of ${spec.options.join(', ')}` };
  }
  if (spec.kind === 'string') {
    return spec.pattern.test(raw) ? { value: raw as TrainConfig[K] } : { reason: `expected ${spec.hint}` };
  }
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) return { reason: 'not a number' };
  if (spec.kind === 'int' && !Number.isInteger(n)) return { reason: 'expected a whole number' };
  if (n < spec.min || n > spec.max) return { reason: `expected ${spec.min} to ${spec.max}` };
  return { value: n as TrainConfig[K] };
}

/** The settings of how this browser runs a run (group Runtime), not of what it trains. */
export const RUNTIME_KEYS = (Object.keys(FIELDS) as (keyof TrainConfig)[]).filter((k) => FIELDS[k].group === 'Runtime');

/** A stored run's config with this session's runtime settings: a resumed run trains as it did, on
 *  today's backend, threads, readback and checkpoint cadence. */
export function withRuntime(run: TrainConfig, today: TrainConfig): TrainConfig {
  return { ...run, ...Object.fromEntries(RUNTIME_KEYS.map((k) => [k, today[k]])) };
}

/** Cross-field checks a single field cannot make. */
export function checkConfig(c: TrainConfig): ConfigWarning[] {
  const w: ConfigWarning[] = [];
  for (const [lo, hi] of [
    ['cropScaleMin', 'cropScaleMax'],
    ['ratioMin', 'ratioMax'],
    ['blurSigmaMin', 'blurSigmaMax'],
  ] as const) {
    if (c[lo] > c[hi]) w.push({ key: lo, value: String(c[lo]), reason: `${lo} must not exceed ${hi} (${c[hi]})` });
  }
  if (c.gammaMin > c.gammaMax) {
    w.push({ key: 'gammaMin', value: String(c.gammaMin), reason: `gammaMin must not exceed gammaMax (${c.gammaMax})` });
  }
  if (c.backbone.startsWith('vit') && c.progressiveFrom > 0) {
    w.push({
      key: 'progressiveFrom',
      value: String(c.progressiveFrom),
      reason: 'a ViT learns position embeddings for one grid of patches: progressive resolution needs a convolutional backbone (set 0)',
    });
  }
  if (c.backbone.startsWith('vit') && c.patchSize > c.imageSize) {
    w.push({ key: 'patchSize', value: String(c.patchSize), reason: `a ViT needs patchSize at most imageSize (${c.imageSize})` });
  }
  return w;
}
