// The run configuration as one table: a row per setting with its group (main_vicreg.py's argument
// groups Data, Model, Optim, Loss, Eval, plus Augment and Runtime), default, valid values and
// meaning. TrainConfig, DEFAULT_CONFIG, the enum lists and the key lists are derived from it, as
// records.ts derives its types from its schemas: a new setting is one row. The UI and the worker
// both import it: no DOM, no TF.js here.

export const GROUPS = ['Data', 'Augment', 'Model', 'Optim', 'Loss', 'Eval', 'Runtime'] as const;
type Group = (typeof GROUPS)[number];
/** A set the code reads as one: the loss's settings (workers/vicreg/loss.ts), the fields every recipe names (presets.ts). */
type Tag = 'loss' | 'recipe' | undefined;

type Num = { kind: 'int' | 'float'; default: number; min: number; max: number };
type Choice = { kind: 'enum'; options: readonly string[]; default: string };
type Text = { kind: 'string'; default: string; pattern: RegExp; hint: string };
export type FieldSpec = { group: Group; help: string; tag?: Tag } & (Num | Choice | Text);

const row = <S extends object, T extends Tag = undefined>(s: S, help: string, tag?: T) => ({ ...s, help, tag: tag as T });
const int = <T extends Tag = undefined>(d: number, [min, max]: [number, number], help: string, tag?: T) =>
  row({ kind: 'int' as const, default: d, min, max }, help, tag);
const float = <T extends Tag = undefined>(d: number, [min, max]: [number, number], help: string, tag?: T) =>
  row({ kind: 'float' as const, default: d, min, max }, help, tag);
const choice = <const O extends readonly string[], T extends Tag = undefined>(options: O, d: O[number], help: string, tag?: T) =>
  row({ kind: 'enum' as const, options, default: d }, help, tag);
const text = <T extends Tag = undefined>(d: string, pattern: RegExp, hint: string, help: string, tag?: T) =>
  row({ kind: 'string' as const, default: d, pattern, hint }, help, tag);
const group = <G extends Group, F extends Record<string, Omit<FieldSpec, 'group'>>>(g: G, fields: F) =>
  Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, { ...f, group: g }])) as { [K in keyof F]: F[K] & { group: G } };

/** One row per setting: where it sits in the UI, its default, what it means, which values are valid. */
// biome-ignore format: one row per setting, read as a table
export const FIELDS = {
  ...group('Data', {
    seed: int(0, [0, 2 ** 31 - 1], 'Seed for init, shuffling and augmentation'),
    imageSize: int(32, [8, 256], 'Crop side in pixels fed to the encoder', 'recipe'),
    progressiveFrom: int(0, [0, 256], 'Progressive resolution: the crop side at the start, growing in steps of 8 px to imageSize (a step at half the side costs a quarter); 0 = off'), // FFCV's progressive resizing
    progressiveUntil: float(0.75, [0.05, 1], 'Progressive resolution: the share of the run by which the crop side reaches imageSize'),
    batchSize: int(128, [2, 4096], 'Images per view per step (VICReg needs at least 2)', 'recipe'),
    testFraction: float(0.2, [0, 0.9], 'Share of each class held out for evaluation'),
  }),
  // The official augmentations.py: crops of [0.08, 1] at ratios [3/4, 4/3], flip 0.5, jitter 0.8 of
  // (0.4, 0.4, 0.2, 0.1), grayscale 0.2, blur 1.0 / 0.1 of sigma [0.1, 2], solarization 0 / 0.2;
  // "1" and "2" name views 1 and 2, the only settings that differ. Blur is off here (small images).
  ...group('Augment', {
    cropScaleMin: float(0.08, [0.01, 1], 'Smallest crop area as a share of the image', 'recipe'),
    cropScaleMax: float(1, [0.01, 1], 'Largest crop area as a share of the image', 'recipe'),
    ratioMin: float(3 / 4, [0.1, 10], 'Smallest crop aspect ratio (width / height)'),
    ratioMax: float(4 / 3, [0.1, 10], 'Largest crop aspect ratio'),
    flipProb: float(0.5, [0, 1], 'Probability of a horizontal flip'),
    jitterProb: float(0.8, [0, 1], 'Probability of color jitter (its four parts in random order)'),
    brightness: float(0.4, [0, 1], 'Brightness factor drawn from [1 - s, 1 + s]'),
    contrast: float(0.4, [0, 1], 'Contrast factor drawn from [1 - s, 1 + s]'),
    saturation: float(0.2, [0, 1], 'Saturation factor drawn from [1 - s, 1 + s]'),
    hue: float(0.1, [0, 0.5], 'Hue shift drawn from [-h, h] (in turns of the color wheel)'),
    grayscaleProb: float(0.2, [0, 1], 'Probability of turning a view gray'),
    blurProb1: float(0, [0, 1], 'Probability of Gaussian blur on view 1', 'recipe'),
    blurProb2: float(0, [0, 1], 'Probability of Gaussian blur on view 2', 'recipe'),
    blurSigmaMin: float(0.1, [0, 20], 'Smallest blur sigma in pixels (kernel about 10% of the side)'),
    blurSigmaMax: float(2, [0, 20], 'Largest blur sigma in pixels'),
    solarizeProb1: float(0, [0, 1], 'Probability of solarization (invert pixels >= 0.5) on view 1', 'recipe'),
    solarizeProb2: float(0.2, [0, 1], 'Probability of solarization on view 2', 'recipe'),
  }),
  ...group('Model', {
    backbone: choice(['small-cnn', 'resnet18', 'resnet34', 'resnet50', 'resnet50v2', 'mobilenetv2', 'vit-tiny', 'vit-small'], 'small-cnn', 'Encoder: small CNN, ResNet-18/34/50, ResNet50V2 (Keras, pre-activation), MobileNetV2 or ViT-Tiny/Small', 'recipe'), // workers/model/*.ts
    width: int(16, [1, 512], 'Small CNN: channels of the first conv layer (x2 per stage)', 'recipe'),
    widthMult: float(1, [0.01, 4], 'ResNet, MobileNetV2, ViT: multiplier on the published widths (1 = as published)', 'recipe'),
    stem: choice(['cifar', 'imagenet'], 'cifar', 'ResNet and ResNet50V2 stem: cifar = 3x3 stride 1 (small images), imagenet = 7x7 stride 2 + max-pool', 'recipe'),
    zeroInitResidual: choice(['on', 'off'], 'on', 'ResNet: the last BatchNorm of each block starts at gamma = 0', 'recipe'), // as main_vicreg.py
    patchSize: int(16, [1, 64], 'ViT: patch side in pixels (the image is cut into (size / patch)^2 tokens)', 'recipe'),
    vitDepth: int(12, [1, 24], 'ViT: number of transformer blocks', 'recipe'), // 12 in ViT-Ti/S
    projector: text('256-256-256', /^\d{1,5}(-\d{1,5}){0,5}$/, 'sizes joined by "-", e.g. 2048-2048-2048', 'Projector sizes: Linear-BN-ReLU per hidden size, final Linear', 'recipe'), // as the official --mlp "8192-8192-8192"
  }),
  // lr = baseLr * batchSize / 256, as the official adjust_learning_rate; its warmup is 10 epochs.
  ...group('Optim', {
    optimizer: choice(['lars', 'adamw', 'sgd'], 'sgd', 'LARS as in the official code, AdamW or SGD with momentum', 'recipe'),
    epochs: int(30, [1, 10000], 'Passes over the training split'),
    budgetMinutes: float(0, [0, 10000], 'Time budget in minutes: epochs are set from the measured step time so that warmup and cosine schedule end in time; 0 = use epochs'),
    baseLr: float(0.2, [0, 100], 'Peak lr = baseLr x batchSize / 256', 'recipe'),
    weightDecay: float(5e-4, [0, 1], 'Weight decay (not on biases or BatchNorm)', 'recipe'),
    momentum: float(0.9, [0, 0.9999], 'Momentum (LARS, SGD) or beta1 (AdamW)'),
    eta: float(0.001, [0, 1], 'LARS trust coefficient', 'recipe'),
    warmupEpochs: float(1, [0, 1000], 'Linear warmup length, then cosine decay', 'recipe'),
    gradClip: float(0, [0, 1e6], 'Clip the global gradient norm; 0 = off', 'recipe'),
  }),
  // Tagged 'loss': what workers/vicreg/loss.ts reads, at main_vicreg.py's values (lambda = mu = 25,
  // nu = 1, gamma = 1, eps = 1e-4) with the fixed hinge and the off-diagonal covariance; then AVT's.
  ...group('Loss', {
    simCoeff: float(25, [0, 1e4], 'Weight of the invariance term (lambda)', 'loss'),
    stdCoeff: float(25, [0, 1e4], 'Weight of the variance term (mu)', 'loss'),
    covCoeff: float(1, [0, 1e4], 'Weight of the covariance term (nu)', 'loss'),
    gamma: float(1, [0, 100], 'Target std of each embedding dimension', 'loss'),
    eps: float(1e-4, [0, 1], 'Added to the variance before the square root', 'loss'),
    varianceMode: choice(['fixed', 'adaptive'], 'fixed', 'adaptive: the target follows the EMA median std (AVT)', 'loss'),
    covarianceMode: choice(['offdiag', 'sicov'], 'offdiag', 'sicov: covariance normalized by its trace (scale-invariant)', 'loss'),
    emaMomentum: float(0.99, [0, 1], 'AVT: EMA momentum of the per-dimension std', 'loss'),
    gammaMin: float(0.1, [0, 100], 'AVT: lowest allowed target', 'loss'),
    gammaMax: float(1, [0, 100], 'AVT: highest allowed target', 'loss'),
    rampSteps: int(0, [0, 1e7], 'Cosine ramp of simCoeff and covCoeff; 0 = off'),
    rampStart: float(0.1, [0, 1], 'Ramp starts at this share of the coefficients'),
  }),
  ...group('Eval', {
    diagEvery: int(10, [1, 1e6], 'Steps between collapse diagnostics'),
    featLayer: choice(['pool', 'proj'], 'pool', 'Features to evaluate: backbone (pool) or projector output'),
    featPool: choice(['global', '2x2', '4x4'], '4x4', 'Backbone readout: global average pool, or the last feature map pooled to 2x2 / 4x4 and flattened (keeps the layout of centred images)'),
    knnEvery: int(0, [-1, 1e6], 'Steps between online k-NN evaluations while training; 0 = auto (at most 5% of the training time), -1 = off'),
    knnK: int(20, [1, 1000], 'k-NN: neighbours that vote'), // Wu et al. 2018: 20
    knnT: float(0.07, [0.001, 100], 'k-NN: temperature of the exp(similarity / T) vote'), // Wu et al. 2018: 0.07
    probeEpochs: int(50, [1, 10000], 'Linear probe: epochs over the training features'),
    probeLr: float(0.1, [0, 100], 'Linear probe: peak learning rate, cosine decay (SGD about 0.1, Adam about 0.001 to 0.01)'),
    probeWeightDecay: float(5e-4, [0, 1], 'Linear probe: weight decay'),
    probeOptimizer: choice(['sgd', 'adam'], 'sgd', 'Linear probe: SGD with momentum 0.9, or Adam'),
    bnAdaptSteps: int(0, [0, 100000], 'BatchNorm adaptation: batches that re-estimate its running statistics on a copy before extraction; 0 = off'),
    baselineEpochs: int(0, [0, 1000], 'Fine-tune and supervised baselines: 0 = as long as the run trained (its epochs set from their own step time: a comparison at equal cost), else epochs of cross-entropy training over the training split'),
    baselineAugment: choice(['light', 'view'], 'light', "Fine-tune and supervised baselines' augmentation: light = a random resized crop of scale 0.7–1 and a flip (better for supervised training, docs/recipes.md), view = VICReg's view 1"),
  }),
  ...group('Runtime', {
    backend: choice(['auto', 'webgpu', 'webgl', 'wasm', 'cpu'], 'auto', 'auto times every backend that can train and keeps the fastest'),
    recompute: choice(['auto', 'on', 'off'], 'auto', 'Recompute each block in the backward pass instead of keeping its activations: the published batch sizes fit in memory for about a third more time per step; auto = on when the estimate exceeds the backend'),
    metricsEvery: int(4, [1, 1000], 'Steps per asynchronous metrics readback'),
    wasmThreads: int(0, [0, 8], 'WASM threads: 0 = one per core (at most 8; fastest measured on 2 cores), 1 = single-threaded; applies when the page loads'), // docs/performance.md §3
    checkpointEvery: int(10, [1, 1e6], 'Steps between checkpoints in browser storage (also at epoch ends and on Stop)'),
    keepCheckpoints: int(3, [1, 100], 'Checkpoints kept per run; older ones are deleted'),
  }),
};

type Fields = typeof FIELDS;
export type TrainConfig = { -readonly [K in keyof Fields]: Fields[K]['default'] };
type Key = keyof TrainConfig;
export const KEYS = Object.keys(FIELDS) as Key[];
const spec = (k: Key): FieldSpec => FIELDS[k];
const tagged = <T extends Tag>(t: T) =>
  KEYS.filter((k) => spec(k).tag === t) as { [K in Key]: Fields[K]['tag'] extends T ? K : never }[Key][];

export const DEFAULT_CONFIG = Object.fromEntries(KEYS.map((k) => [k, FIELDS[k].default])) as TrainConfig;
export type BackendChoice = TrainConfig['backend'];
export type BackendName = Exclude<BackendChoice, 'auto'>;
export const BACKBONES = FIELDS.backbone.options;
export type Backbone = TrainConfig['backbone'];
export const FEAT_POOLS = FIELDS.featPool.options;
export type FeatPool = TrainConfig['featPool'];
/** The fields every recipe names (presets.ts): those it does not set keep DEFAULT_CONFIG's value. */
export const RECIPE_KEYS = tagged('recipe');
/** The settings of how this browser runs a run (group Runtime), not of what it trains. */
export const RUNTIME_KEYS = KEYS.filter((k) => spec(k).group === 'Runtime');

/** The settings the loss reads (workers/vicreg/loss.ts). */
export type LossOptions = Pick<TrainConfig, ReturnType<typeof tagged<'loss'>>[number]>;
/** The loss settings at their defaults (the Loss group's comment above); workers/vicreg/loss.ts and the official preset take them from here. */
export const OFFICIAL_LOSS = Object.fromEntries(tagged('loss').map((k) => [k, DEFAULT_CONFIG[k]])) as LossOptions;

export type ConfigWarning = { key: string; value: string; reason: string };

/** Parses one value against its field; returns the value or a reason it was refused. */
export function parseField<K extends Key>(key: K, raw: string): { value: TrainConfig[K] } | { reason: string } {
  const s = spec(key);
  if (s.kind === 'enum')
    return s.options.includes(raw) ? { value: raw as TrainConfig[K] } : { reason: `expected one of ${s.options.join(', ')}` };
  if (s.kind === 'string') return s.pattern.test(raw) ? { value: raw as TrainConfig[K] } : { reason: `expected ${s.hint}` };
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) return { reason: 'not a number' };
  if (s.kind === 'int' && !Number.isInteger(n)) return { reason: 'expected a whole number' };
  if (n < s.min || n > s.max) return { reason: `expected ${s.min} to ${s.max}` };
  return { value: n as TrainConfig[K] };
}

/** A stored run's config with this session's runtime settings: a resumed run trains as it did, on
 *  today's backend, threads, readback and checkpoint cadence. */
export function withRuntime(run: TrainConfig, today: TrainConfig): TrainConfig {
  return { ...run, ...Object.fromEntries(RUNTIME_KEYS.map((k) => [k, today[k]])) };
}

/** Cross-field checks a single field cannot make. */
export function checkConfig(config: TrainConfig): ConfigWarning[] {
  const w: ConfigWarning[] = [];
  for (const [lo, hi] of [
    ['cropScaleMin', 'cropScaleMax'],
    ['ratioMin', 'ratioMax'],
    ['blurSigmaMin', 'blurSigmaMax'],
    ['gammaMin', 'gammaMax'],
  ] as const) {
    if (config[lo] > config[hi]) w.push({ key: lo, value: String(config[lo]), reason: `${lo} must not exceed ${hi} (${config[hi]})` });
  }
  if (config.backbone.startsWith('vit') && config.progressiveFrom > 0) {
    w.push({
      key: 'progressiveFrom',
      value: String(config.progressiveFrom),
      reason: 'a ViT learns position embeddings for one grid of patches: progressive resolution needs a convolutional backbone (set 0)',
    });
  }
  if (config.backbone.startsWith('vit') && config.patchSize > config.imageSize) {
    w.push({ key: 'patchSize', value: String(config.patchSize), reason: `a ViT needs patchSize at most imageSize (${config.imageSize})` });
  }
  return w;
}
