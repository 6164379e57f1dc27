// Presets: small partial configs merged over the current config (as nanoGPT's config files
// override its defaults). Two kinds that combine: a recipe (architecture, data size, optimizer and
// augmentation from a published setup) and a loss variant (official or adaptive); they name
// disjoint fields, so "ResNet-18 at 32 px with the adaptive loss" is one of each. Every preset of a
// kind names the same fields, so switching back and forth leaves no trace of the other.
// Selectable in the UI and in the URL as `#preset=<id>`, once per kind (`#preset=small-32&preset=adaptive`).
import { DEFAULT_CONFIG, FIELDS, OFFICIAL_LOSS, parseField, RECIPE_KEYS, type TrainConfig } from './config';

const withoutGamma = ({ gamma: _, ...rest }: typeof OFFICIAL_LOSS) => rest;

export interface Preset {
  label: string;
  help: string;
  config: Partial<TrainConfig>;
}

export const PRESETS = {
  official: {
    label: 'VICReg (official)',
    help: 'The loss exactly as facebookresearch/vicreg main_vicreg.py: lambda = mu = 25, nu = 1, gamma = 1',
    config: { ...OFFICIAL_LOSS, rampSteps: 0 },
  },
  adaptive: {
    label: 'Adaptive (AVT + SICov)',
    help: 'The variance target follows the EMA median std, covariance is trace-normalized, and the invariance and covariance weights ramp up over the first 100 steps',
    // The official weights; AVT's target replaces gamma.
    config: { ...withoutGamma(OFFICIAL_LOSS), varianceMode: 'adaptive', covarianceMode: 'sicov', rampSteps: 100, rampStart: 0.1 },
  },
  'adaptive-seed': {
    label: 'Adaptive (seed: gammaT in [0.5, 2])',
    help: 'The Adaptive preset with the AVT bounds the Adaptive VICReg seed publishes (nkabra56/adaptive-vicreg-tf configs/default.yaml: ema_beta 0.99, gamma_min 0.5, gamma_max 2.0)',
    config: {
      ...withoutGamma(OFFICIAL_LOSS),
      varianceMode: 'adaptive',
      covarianceMode: 'sicov',
      rampSteps: 100,
      rampStart: 0.1,
      emaMomentum: 0.99,
      gammaMin: 0.5,
      gammaMax: 2,
    },
  },
} satisfies Record<string, Preset>;

export type PresetId = keyof typeof PRESETS;
export const PRESET_IDS = Object.keys(PRESETS) as PresetId[];

const recipe = (own: Partial<Pick<TrainConfig, (typeof RECIPE_KEYS)[number]>>): Partial<TrainConfig> => ({
  ...Object.fromEntries(RECIPE_KEYS.map((k) => [k, DEFAULT_CONFIG[k]])),
  ...own,
});

/** The official augmentations (facebookresearch/vicreg augmentations.py), for the recipes that use them. */
export const OFFICIAL_BLUR = { blurProb1: 1, blurProb2: 0.1 } as const;
/** main_vicreg.py's projector and optimizer: 8192-8192-8192 there, a quarter here; LARS at base lr
 *  0.2 per 256 images, weight decay 1e-6, trust coefficient 0.001, 10 warmup epochs. */
const OFFICIAL_OPTIM = {
  projector: '2048-2048-2048',
  optimizer: 'lars',
  baseLr: 0.2,
  weightDecay: 1e-6,
  eta: 0.001,
  warmupEpochs: 10,
} as const;

/**
 * Architecture recipes. Augmentation not named is the studio default's (DEFAULT_CONFIG: crop
 * scale [0.08, 1], no blur, solarization 0 / 0.2). baseLr is per 256 images, as everywhere here.
 */
export const RECIPES = {
  defaults: {
    label: 'Small images in minutes (small CNN, 32 px)',
    help: 'What the studio opens with, chosen by the recipe study (docs/recipes.md): the small CNN of width 16, projector 256-256-256, batch 128, SGD with momentum (lr 0.2 per 256 images, weight decay 5e-4), the official crops and colour jitter without Gaussian blur (the official sigma of 0.1-2 px is for 224-px crops)',
    config: recipe({}),
  },
  'small-32': {
    label: 'Small images (32 px)',
    help: "ResNet-18 with the CIFAR stem, projector 2048-2048-2048, batch 256, LARS (lr 0.3, eta 0.02, weight decay 1e-4, 10 warmup epochs), crops of [0.2, 1], no blur, solarization 0.1 on both views: solo-learn's CIFAR VICReg recipe",
    config: recipe({
      imageSize: 32,
      batchSize: 256,
      cropScaleMin: 0.2,
      cropScaleMax: 1,
      blurProb1: 0,
      blurProb2: 0,
      solarizeProb1: 0.1,
      solarizeProb2: 0.1,
      backbone: 'resnet18',
      widthMult: 1,
      stem: 'cifar',
      zeroInitResidual: 'on',
      projector: '2048-2048-2048',
      optimizer: 'lars',
      baseLr: 0.3,
      weightDecay: 1e-4,
      eta: 0.02,
      warmupEpochs: 10,
    }),
  },
  'medium-96': {
    label: 'Medium images (96 px)',
    help: 'ResNet-18 with the ImageNet stem at 96 px, batch 256, projector 2048-2048-2048, the official augmentations and LARS schedule (lr 0.2, weight decay 1e-6, 10 warmup epochs)',
    config: recipe({
      imageSize: 96,
      batchSize: 256,
      backbone: 'resnet18',
      widthMult: 1,
      stem: 'imagenet',
      zeroInitResidual: 'on',
      ...OFFICIAL_OPTIM,
      ...OFFICIAL_BLUR,
    }),
  },
  'vit-s16-96': {
    label: 'ViT-S/16 (96 px)',
    help: 'ViT-Small with 16 px patches (36 tokens) at 96 px, batch 128, AdamW (lr 1e-3, weight decay 1e-4, 10 warmup epochs), gradient clipping at 1.0, projector 2048-2048-2048',
    config: recipe({
      imageSize: 96,
      batchSize: 128,
      backbone: 'vit-small',
      widthMult: 1,
      patchSize: 16,
      vitDepth: 12,
      projector: '2048-2048-2048',
      optimizer: 'adamw',
      baseLr: 1e-3,
      weightDecay: 1e-4,
      warmupEpochs: 10,
      gradClip: 1,
      ...OFFICIAL_BLUR,
    }),
  },
  'large-224-cpu': {
    label: 'Large images on a CPU (224 px)',
    help: 'MobileNetV2 at 224 px, batch 32, projector 2048-2048-2048, the official augmentations and LARS schedule',
    config: recipe({
      imageSize: 224,
      batchSize: 32,
      backbone: 'mobilenetv2',
      widthMult: 1,
      ...OFFICIAL_OPTIM,
      ...OFFICIAL_BLUR,
    }),
  },
  'seed-resnet50v2': {
    label: 'Adaptive VICReg (seed recipe): ResNet50V2, 32 px',
    help: "The Adaptive VICReg seed's published settings (nkabra56/adaptive-vicreg-tf configs/default.yaml): Keras's ResNet50V2 with its own stem at 32 px, batch 512, projector 1024-1024-256, AdamW at lr 3e-4 (1.5e-4 per 256 images) with weight decay 1e-4 and no warmup, AVT (gammaT in [0.5, 2]) and SICov. The studio's crops, jitter and projector biases stay (the seed crops a padded image and has no projector biases)",
    config: recipe({
      imageSize: 32,
      batchSize: 512,
      backbone: 'resnet50v2',
      widthMult: 1,
      stem: 'imagenet',
      projector: '1024-1024-256',
      optimizer: 'adamw',
      baseLr: 1.5e-4,
      weightDecay: 1e-4,
      warmupEpochs: 0,
    }),
  },
  'quick-cpu': {
    label: 'Quick CPU run',
    help: 'The small CNN of width 24 at 32 px with a 512-wide projector and the official LARS schedule and augmentations: an epoch over 2,000 images in about a minute on a 2-core laptop (WASM)',
    config: recipe({
      imageSize: 32,
      batchSize: 64,
      backbone: 'small-cnn',
      width: 24,
      projector: '512-512-512',
      warmupEpochs: 1,
      optimizer: 'lars',
      baseLr: 0.3,
      weightDecay: 1e-6,
      eta: 0.001,
      ...OFFICIAL_BLUR,
    }),
  },
} satisfies Record<string, Preset>;

export type RecipeId = keyof typeof RECIPES;
export const RECIPE_IDS = Object.keys(RECIPES) as RecipeId[];
export type AnyPresetId = PresetId | RecipeId;
const ALL: Record<AnyPresetId, Preset> = { ...RECIPES, ...PRESETS };
export const ANY_PRESET_IDS = Object.keys(ALL) as AnyPresetId[];
export const isPresetId = (id: string): id is AnyPresetId => id in ALL;

/** Recipes published with their own loss settings: the loss preset applied with them. */
const RECIPE_LOSS: Partial<Record<RecipeId, PresetId>> = { 'seed-resnet50v2': 'adaptive-seed' };

/** The config with the preset's fields, and a recipe's own loss preset where it has one. */
export function applyPreset(config: TrainConfig, id: AnyPresetId): TrainConfig {
  const loss = RECIPE_LOSS[id as RecipeId];
  return { ...config, ...(ALL[id].config as Partial<TrainConfig>), ...(loss ? PRESETS[loss].config : {}) } as TrainConfig;
}

const holds = (config: TrainConfig, p: Preset) => Object.entries(p.config).every(([k, v]) => config[k as keyof TrainConfig] === v);

/** The loss preset whose every field the config holds, or null (a custom loss). */
export function matchingPreset(config: TrainConfig): PresetId | null {
  return PRESET_IDS.find((id) => holds(config, PRESETS[id])) ?? null;
}

/** The recipe whose every field the config holds, or null (a custom model or schedule). */
export function matchingRecipe(config: TrainConfig): RecipeId | null {
  return RECIPE_IDS.find((id) => holds(config, RECIPES[id])) ?? null;
}

// Every preset value must pass its field's own validation, and a recipe must not touch a loss
// preset's fields (they combine): checked once at load, so a typo fails every test rather than a run.
const lossKeys = new Set(PRESET_IDS.flatMap((id) => Object.keys(PRESETS[id].config)));
for (const id of ANY_PRESET_IDS) {
  for (const [k, v] of Object.entries(ALL[id].config)) {
    const key = k as keyof TrainConfig;
    const parsed = key in FIELDS ? parseField(key, String(v)) : { reason: 'unknown setting' };
    if ('reason' in parsed) throw new Error(`preset ${id}: ${k}=${v} is invalid (${parsed.reason})`);
    if (id in RECIPES && lossKeys.has(k)) throw new Error(`recipe ${id} sets ${k}, a loss preset's field`);
  }
}

export const DEFAULT_PRESET: PresetId | null = matchingPreset(DEFAULT_CONFIG);
export const DEFAULT_RECIPE: RecipeId | null = matchingRecipe(DEFAULT_CONFIG);
