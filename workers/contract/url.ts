// The config in the URL hash, so a run is a shareable link: `#preset=adaptive&epochs=3`. The
// preset (if any) applies first, then each field; only what differs from that base is written.
import { checkConfig, DEFAULT_CONFIG, FIELDS, parseField, type ConfigWarning, type TrainConfig } from './config';
import { applyPreset, DEFAULT_PRESET, matchingPreset, PRESET_IDS, type PresetId } from './presets';

/** Reads the hash; unknown keys and bad values keep the base value and warn. */
export function configFromHash(hash: string, base: TrainConfig = DEFAULT_CONFIG): {
  config: TrainConfig;
  warnings: ConfigWarning[];
} {
  const warnings: ConfigWarning[] = [];
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const preset = params.get('preset');
  const start = preset === null ? base : PRESET_IDS.includes(preset as PresetId) ? applyPreset(base, preset as PresetId) : base;
  if (preset !== null && start === base) warnings.push({ key: 'preset', value: preset, reason: `expected one of ${PRESET_IDS.join(', ')}` });
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

/** Writes the preset the config matches (unless it is the default's) and the fields that differ from it. */
export function configToHash(c: TrainConfig): string {
  const params = new URLSearchParams();
  const preset = matchingPreset(c);
  const named = preset !== null && preset !== DEFAULT_PRESET ? preset : null;
  const base = named ? applyPreset(DEFAULT_CONFIG, named) : DEFAULT_CONFIG;
  if (named) params.set('preset', named);
  for (const key of Object.keys(FIELDS) as (keyof TrainConfig)[]) {
    if (c[key] !== base[key]) params.set(key, String(c[key]));
  }
  const s = params.toString();
  return s ? `#${s}` : '';
}
