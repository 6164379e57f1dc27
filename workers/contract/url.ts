// The config in the URL hash, so a run is a shareable link: `#preset=small-32&preset=adaptive&epochs=3`.
// The presets (a recipe and a loss variant, each optional) apply first, then each field; only what
// differs from that base is written.
import { checkConfig, DEFAULT_CONFIG, FIELDS, parseField, type ConfigWarning, type TrainConfig, KEYS } from './config';
import { ANY_PRESET_IDS, applyPreset, DEFAULT_PRESET, DEFAULT_RECIPE, isPresetId, matchingPreset, matchingRecipe } from './presets';

/** Reads the hash; unknown keys and bad values keep the base value and warn. */
export function configFromHash(
  hash: string,
  base: TrainConfig = DEFAULT_CONFIG,
): {
  config: TrainConfig;
  warnings: ConfigWarning[];
} {
  const warnings: ConfigWarning[] = [];
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  let start = base;
  for (const preset of params.getAll('preset')) {
    if (isPresetId(preset)) start = applyPreset(start, preset);
    else warnings.push({ key: 'preset', value: preset, reason: `expected one of ${ANY_PRESET_IDS.join(', ')}` });
  }
  const config: TrainConfig = { ...start };
  for (const [key, value] of params) {
    if (key === 'preset') continue;
    if (!(key in FIELDS)) {
      warnings.push({ key, value, reason: 'unknown setting' });
      continue;
    }
    const k = key as keyof TrainConfig;
    const parsed = parseField(k, value);
    if ('reason' in parsed) warnings.push({ key, value, reason: parsed.reason });
    else (config as unknown as Record<string, unknown>)[k] = parsed.value;
  }
  for (const cw of checkConfig(config)) {
    warnings.push(cw);
    (config as unknown as Record<string, unknown>)[cw.key] = start[cw.key as keyof TrainConfig];
  }
  return { config, warnings };
}

/** Writes the presets the config matches (unless they are the default's) and the fields that differ from them. */
export function configToHash(config: TrainConfig): string {
  const params = new URLSearchParams();
  let base = DEFAULT_CONFIG;
  for (const [id, fallback] of [
    [matchingRecipe(config), DEFAULT_RECIPE],
    [matchingPreset(config), DEFAULT_PRESET],
  ] as const) {
    if (id === null || id === fallback) continue;
    params.append('preset', id);
    base = applyPreset(base, id);
  }
  for (const key of KEYS) {
    if (config[key] !== base[key]) params.set(key, String(config[key]));
  }
  const s = params.toString();
  return s ? `#${s}` : '';
}
