// "Repeat over seeds": N runs of the current settings, one per seed, each evaluated by k-NN and
// the probe, summarized as mean ± sd (./repeat.ts). The figure to cite where one run's is noise.
import { useState } from 'react';
import { useStore } from '../store';
import { backendReady, evaluating, runActive } from '../store/selectors';
import { repeatOverSeeds, stopRepeat } from './actions';
import { summarize } from './repeat';

/** Percentage points; a difference with its sign. */
const pts = (v: number | undefined, signed: boolean) =>
  v === undefined ? '–' : signed ? `${v < 0 ? '−' : '+'}${(100 * Math.abs(v)).toFixed(1)}` : (100 * v).toFixed(1);

export function RepeatSection() {
  const r = useStore((s) => s.repeat);
  const labelled = useStore((s) => !!s.dataset && !s.dataset.unlabeled && s.dataset.classes.length >= 2 && s.dataset.testCount > 0);
  const ready = useStore((s) => s.datasetStatus === 'ready' && backendReady(s));
  const busy = useStore((s) => runActive(s) || evaluating(s));
  const seed = useStore((s) => s.config.seed);
  const [n, setN] = useState(3);
  const running = r.status === 'running';
  const rows = summarize(r.results);
  return (
    <div className="repeat" data-testid="repeat">
      <h3>Repeat over seeds</h3>
      <div className="controls">
        <label>
          seeds{' '}
          <input
            type="number"
            min={2}
            max={10}
            value={n}
            disabled={running}
            data-testid="repeat-n"
            aria-label="How many seeds"
            onChange={(e) => setN(Math.max(2, Math.min(10, Math.round(Number(e.target.value)) || 2)))}
          />
        </label>
        <button
          data-testid="repeat-run"
          disabled={!labelled || !ready || busy || running}
          title="Train these settings once per seed (each seed also draws its own split), run k-NN and the probe after each, and give mean ± sd over the seeds: one run's top-1 moves by a few points with the seed alone"
          onClick={() => void repeatOverSeeds(n)}
        >
          Repeat over {n} seeds
        </button>
        {running && (
          <button data-testid="repeat-stop" onClick={stopRepeat}>
            Stop
          </button>
        )}
        <span className="hint" data-testid="repeat-status" role="status">
          {running
            ? `seed ${r.seeds[Math.min(r.results.length, r.seeds.length - 1)]}: ${r.results.length} of ${r.seeds.length} done`
            : r.status === 'idle'
              ? `seeds ${seed} to ${seed + n - 1}, the current settings; about ${n}× a run and its evaluations`
              : r.status === 'done'
                ? `${r.results.length} seeds done`
                : r.status === 'stopped'
                  ? `stopped after ${r.results.length} of ${r.seeds.length} seeds`
                  : ''}
        </span>
      </div>
      {r.error && <p className="error">Repeat over seeds: {r.error}</p>}
      {rows.length > 0 && (
        <table className="results" data-testid="repeat-table" data-seeds={r.results.length}>
          <caption>
            Top-1 % per seed and mean ± sd over {r.results.length} {r.results.length === 1 ? 'seed' : 'seeds'} (each seed its own split;
            steps {r.results.map((x) => x.step).join(', ')})
          </caption>
          <thead>
            <tr>
              <th>row</th>
              {r.results.map((x) => (
                <th key={x.seed}>seed {x.seed}</th>
              ))}
              <th>mean ± sd</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const signed = row.label.includes('−');
              return (
                <tr key={row.label} data-row={row.label} data-mean={row.mean} data-sd={row.sd}>
                  <td>{row.label}</td>
                  {row.values.map((v, i) => (
                    <td key={r.results[i].seed}>{pts(v, signed)}</td>
                  ))}
                  <td>
                    {pts(row.mean, signed)} ± {(100 * row.sd).toFixed(1)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
