// Presets: small partial configs merged over the current config (as nanoGPT's config files
// override its defaults). Each names every field it is about, so switching presets back and forth
// leaves no trace of the other. Selectable in the UI and as `#preset=<id>` in the URL.
import { DEFAULT_CONFIG, FIELDS, parseField, type TrainConfig } from './config';

export interface Preset {
  label: string;
  help: string;
  config: Partial<TrainConfig>;
}

export const PRESETS = {
  official: {
    label: 'VICReg (official)',
    help: 'The loss exactly as facebookresearch/vicreg main_vicreg.py: lambda = mu = 25, nu = 1, gamma = 1',
    config: {
      simCoeff: 25, stdCoeff: 25, covCoeff: 1, gamma: 1, eps: 1e-4,
      varianceMode: 'fixed', covarianceMode: 'offdiag', rampSteps: 0,
    },
  },
  adaptive: {
    label: 'Adaptive (AVT + SICov)',
    help: 'The variance target follows the EMA median std, covariance is trace-normalized, and the invariance and covariance weights ramp up over the first 100 steps',
    config: {
      simCoeff: 25, stdCoeff: 25, covCoeff: 1, eps: 1e-4,
      varianceMode: 'adaptive', covarianceMode: 'sicov', emaMomentum: 0.99, gammaMin: 0.1, gammaMax: 1,
      rampSteps: 100, rampStart: 0.1,
    },
  },
} satisfies Record<string, Preset>;

export type PresetId = keyof typeof PRESETS;
export const PRESET_IDS = Object.keys(PRESETS) as PresetId[];

export function applyPreset(c: TrainConfig, id: PresetId): TrainConfig {
  return { ...c, ...(PRESETS[id].config as Partial<TrainConfig>) };
}

/** The first preset whose every field the config holds, or null (a custom config). */
export function matchingPreset(c: TrainConfig): PresetId | null {
  return PRESET_IDS.find((id) => Object.entries(PRESETS[id].config).every(([k, v]) => c[k as keyof TrainConfig] === v)) ?? null;
}

// Every preset value must pass its field's own validation: checked once at load, so a typo in a
// preset fails every test rather than reaching a run.
for (const id of PRESET_IDS) {
  for (const [k, v] of Object.entries(PRESETS[id].config)) {
    const key = k as keyof TrainConfig;
    const parsed = key in FIELDS ? parseField(key, String(v)) : { reason: 'unknown setting' };
    if ('reason' in parsed) throw new Error(`preset ${id}: ${k}=${v} is invalid (${parsed.reason})`);
  }
}

export const DEFAULT_PRESET: PresetId | null = matchingPreset(DEFAULT_CONFIG);
