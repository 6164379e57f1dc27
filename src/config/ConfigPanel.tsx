import { useStore } from '../store';
import { runActive } from '../store/selectors';
import { FIELDS, GROUPS, KEYS } from '../../workers/contract/config';
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
import { Field } from './Field';

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
