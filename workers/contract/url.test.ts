import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { applyPreset, matchingPreset } from './presets';
import { configFromHash, configToHash } from './url';

describe('presets', () => {
  it('the defaults are the official recipe', () => {
    expect(matchingPreset(DEFAULT_CONFIG)).toBe('official');
  });

  it('adaptive switches on AVT, SICov and the coefficient ramp, and back again', () => {
    const adaptive = applyPreset({ ...DEFAULT_CONFIG, epochs: 3 }, 'adaptive');
    expect(adaptive).toMatchObject({ varianceMode: 'adaptive', covarianceMode: 'sicov', rampSteps: 100, epochs: 3 });
    expect(matchingPreset(adaptive)).toBe('adaptive');
    expect(applyPreset(adaptive, 'official')).toEqual({ ...DEFAULT_CONFIG, epochs: 3 });
  });

  it('a changed preset field makes the config custom', () => {
    expect(matchingPreset({ ...applyPreset(DEFAULT_CONFIG, 'adaptive'), gammaMin: 0.2 })).toBeNull();
  });
});

describe('configFromHash / configToHash', () => {
  it('the defaults write an empty hash', () => {
    expect(configToHash(DEFAULT_CONFIG)).toBe('');
  });

  it('round-trip a preset with overrides, writing only what differs from the preset', () => {
    const c = { ...applyPreset(DEFAULT_CONFIG, 'adaptive'), epochs: 3, batchSize: 32 };
    const hash = configToHash(c);
    expect(hash).toBe('#preset=adaptive&batchSize=32&epochs=3');
    expect(configFromHash(hash)).toEqual({ config: c, warnings: [] });
  });

  it('apply the preset before the fields, wherever it sits in the hash', () => {
    const { config } = configFromHash('#rampSteps=7&preset=adaptive');
    expect(config.rampSteps).toBe(7);
    expect(config.varianceMode).toBe('adaptive');
  });

  it('warn on an unknown preset and keep the base', () => {
    const { config, warnings } = configFromHash('#preset=magic&epochs=2');
    expect(config).toEqual({ ...DEFAULT_CONFIG, epochs: 2 });
    expect(warnings).toEqual([
      {
        key: 'preset',
        value: 'magic',
        reason:
          'expected one of defaults, small-32, medium-96, vit-s16-96, large-224-cpu, seed-resnet50v2, quick-cpu, official, adaptive, adaptive-seed',
      },
    ]);
  });

  it('a recipe and a loss variant combine, in either order, and round-trip', () => {
    const c = { ...applyPreset(applyPreset(DEFAULT_CONFIG, 'small-32'), 'adaptive'), epochs: 3 };
    expect(c).toMatchObject({ backbone: 'resnet18', batchSize: 256, varianceMode: 'adaptive', covarianceMode: 'sicov', epochs: 3 });
    expect(configToHash(c)).toBe('#preset=small-32&preset=adaptive&epochs=3');
    expect(configFromHash('#preset=adaptive&epochs=3&preset=small-32')).toEqual({ config: c, warnings: [] });
  });

  it('a recipe alone keeps the default loss and writes only itself', () => {
    const c = applyPreset(DEFAULT_CONFIG, 'vit-s16-96');
    expect(configToHash(c)).toBe('#preset=vit-s16-96');
    expect(configFromHash('#preset=vit-s16-96').config).toEqual(c);
    expect(applyPreset(c, 'defaults')).toEqual(DEFAULT_CONFIG);
  });

  it('warn on bad values and unknown keys, keeping the base value', () => {
    const { config, warnings } = configFromHash('#batchSize=banana&nonsense=1&epochs=-3');
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(warnings.map((w) => w.key)).toEqual(['batchSize', 'nonsense', 'epochs']);
  });

  it('reject gammaMin above gammaMax', () => {
    const { config, warnings } = configFromHash('#gammaMin=2&gammaMax=1');
    expect(config.gammaMin).toBe(DEFAULT_CONFIG.gammaMin);
    expect(warnings[0].reason).toMatch(/must not exceed gammaMax/);
  });
});
