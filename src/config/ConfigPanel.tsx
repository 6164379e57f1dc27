import { useId, useState } from 'react';
import { chooseBackend } from '../backend/actions';
import { resplitDataset } from '../dataset/actions';
import { useStore } from '../store';
import { runActive } from '../store/selectors';
import { checkConfig, FIELDS, parseField, type Group, type TrainConfig } from '../../workers/contract/config';
import {
  applyPreset,
  matchingPreset,
  matchingRecipe,
  PRESET_IDS,
  PRESETS,
  RECIPE_IDS,
  RECIPES,
  type AnyPresetId,
} from '../../workers/contract/presets';

const GROUPS: Group[] = ['Data', 'Augment', 'Model', 'Optim', 'Loss', 'Eval', 'Runtime'];
const KEYS = Object.keys(FIELDS) as (keyof TrainConfig)[];

/** One setting, validated on commit; `label` and `testId` when it sits outside the panel (Budget beside Train). */
export function Field({ name, disabled, label, testId }: { name: keyof TrainConfig; disabled: boolean; label?: string; testId?: string }) {
  const value = useStore((s) => s.config[name]);
  const setConfig = useStore((s) => s.setConfig);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const spec = FIELDS[name];
  const id = useId();
  const commit = (raw: string) => {
    const parsed = parseField(name, raw);
    if ('reason' in parsed) {
      setError(parsed.reason);
      return;
    }
    // Cross-field rules (cropScaleMin ≤ cropScaleMax, gammaMin ≤ gammaMax, ...) refuse the edit too.
    const clash = checkConfig({ ...useStore.getState().config, [name]: parsed.value })[0];
    if (clash) {
      setError(clash.reason);
      return;
    }
    setError(null);
    setDraft(null);
    setConfig({ [name]: parsed.value } as Partial<TrainConfig>);
    if (name === 'backend') void chooseBackend(parsed.value as TrainConfig['backend']);
    // The split is drawn from seed and testFraction: a loaded dataset is split again.
    else if ((name === 'seed' || name === 'testFraction') && useStore.getState().dataset) void resplitDataset();
  };
  return (
    // htmlFor as well as nesting: the control is one of two, chosen by the field's kind.
    <label className="field" title={spec.help} htmlFor={id}>
      <span className="name">{label ?? name}</span>
      {spec.kind === 'enum' ? (
        <select
          id={id}
          data-testid={testId ?? `config-${name}`}
          value={String(value)}
          disabled={disabled}
          onChange={(e) => commit(e.target.value)}
        >
          {spec.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          data-testid={testId ?? `config-${name}`}
          value={draft ?? String(value)}
          disabled={disabled}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && commit((e.target as HTMLInputElement).value)}
        />
      )}
      <span className="help">{error ? <span className="error">{error}</span> : spec.help}</span>
    </label>
  );
}

/**
 * Presets are partial configs: choosing one sets its fields and leaves the rest (data, epochs)
 * alone. Two pickers, because the two kinds combine: a recipe (model, data size, optimizer,
 * augmentation) and a loss variant.
 */
function PresetPicker({ kind, disabled }: { kind: 'recipe' | 'loss'; disabled: boolean }) {
  const [ids, presets, match, label, testId] =
    kind === 'recipe'
      ? ([RECIPE_IDS, RECIPES, matchingRecipe, 'Recipe', 'recipe'] as const)
      : ([PRESET_IDS, PRESETS, matchingPreset, 'Loss', 'preset'] as const);
  const preset = useStore((s) => match(s.config));
  const loadConfig = useStore((s) => s.loadConfig);
  const choose = (id: AnyPresetId) => {
    const { config, configWarnings } = useStore.getState();
    loadConfig(applyPreset(config, id), configWarnings);
  };
  const help = preset
    ? (presets as Record<string, { help: string }>)[preset].help
    : `Settings changed from every ${kind === 'recipe' ? 'recipe' : 'loss preset'}`;
  return (
    <div className="preset">
      <label htmlFor={testId}>{label}</label>
      <select
        id={testId}
        data-testid={testId}
        value={preset ?? 'custom'}
        disabled={disabled}
        onChange={(e) => choose(e.target.value as AnyPresetId)}
      >
        {ids.map((id) => (
          <option key={id} value={id}>
            {(presets as Record<string, { label: string }>)[id].label}
          </option>
        ))}
        <option value="custom" disabled>
          Custom
        </option>
      </select>
      <span className="help">{help}</span>
    </div>
  );
}

export function ConfigPanel() {
  const locked = useStore(runActive);
  return (
    <section className="panel config">
      <h2>Configuration</h2>
      <p className="hint">Every setting is also in the page's URL, so a run can be shared as a link.</p>
      <PresetPicker kind="recipe" disabled={locked} />
      <PresetPicker kind="loss" disabled={locked} />
      {GROUPS.map((g) => (
        <details key={g} open={g === 'Data' || g === 'Optim'}>
          <summary>{g}</summary>
          {KEYS.filter((k) => FIELDS[k].group === g).map((k) => (
            <Field key={k} name={k} disabled={locked} />
          ))}
        </details>
      ))}
    </section>
  );
}
