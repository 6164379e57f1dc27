import { useId, useState } from 'react';
import { checkConfig, FIELDS, parseField, type TrainConfig } from '../../workers/contract/config';
import { chooseBackend } from '../backend/actions';
import { resplitDataset } from '../dataset/actions';
import { useStore } from '../store';

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
