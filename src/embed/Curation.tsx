// The lists a curator works through (duplicates, outliers, label suspects, a diverse subset) and
// the clusters that become labels. Each list can become the selection, to look at it on the map,
// name it or export it.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from '../store';
import {
  CURATION_DEFAULTS,
  applyLabels,
  curate,
  diverseSubset,
  draftLabels,
  exportCuration,
  exportLabels,
  renameCluster,
  runClusters,
  select,
  suggestClusters,
} from './actions';
import { pickEmbed } from './slice';
import { ThumbGrid } from './ThumbGrid';

/** A <details> whose content is rendered only while open: a closed list of hundreds of thumbnails
 *  costs nothing. */
function Fold({
  open: initially = false,
  testId,
  groups,
  summary,
  select: pick,
  children,
}: {
  open?: boolean;
  testId: string;
  groups?: number;
  summary: React.ReactNode;
  /** A button before the list that makes it the selection (not inside <summary>, where a control
   *  would be nested in another). */
  select?: { label: string; indices: () => number[] };
  children: React.ReactNode;
}) {
  const [open, setOpen] = useState(initially);
  const picked = open && pick ? pick.indices() : [];
  return (
    <details open={open} data-testid={testId} data-groups={groups} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{summary}</summary>
      {picked.length > 0 && (
        <button className="link" onClick={() => select(picked)}>
          {pick!.label} ({picked.length})
        </button>
      )}
      {open && children}
    </details>
  );
}

function NumberInput({
  label,
  value,
  onChange,
  min,
  max,
  step,
  testId,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  min: number;
  max: number;
  step: number;
  testId: string;
}) {
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        data-testid={testId}
        value={value}
        min={min}
        max={max}
        step={step}
        onChange={(e) => onChange(Number(e.target.value))}
        style={{ width: '5em' }}
      />
    </label>
  );
}

export function Curation() {
  const e = useStore(useShallow(pickEmbed('set', 'curation', 'busy', 'diverse')));
  const [opts, setOpts] = useState(CURATION_DEFAULTS);
  const [m, setM] = useState(50);
  const set = e.set!;
  const c = e.curation;
  const cls = (k: number) => (k >= 0 ? set.classes[k] : '—');
  const nearCount = c ? c.near.reduce((a, g) => a + g.members.length, 0) : 0;
  return (
    <div className="curation" data-testid="embed-curation">
      <h3>Curation</h3>
      <div className="controls">
        <NumberInput
          testId="embed-threshold"
          label="Near duplicates at cosine ≥"
          value={opts.duplicateThreshold}
          min={0.5}
          max={1}
          step={0.005}
          onChange={(v) => setOpts({ ...opts, duplicateThreshold: v })}
        />
        <NumberInput
          testId="embed-k"
          label="neighbours k"
          value={opts.k}
          min={1}
          max={16}
          step={1}
          onChange={(v) => setOpts({ ...opts, k: v })}
        />
        <button data-testid="embed-curate" disabled={!!e.busy} onClick={() => void curate(opts)}>
          Find again
        </button>
        <button data-testid="embed-export-curation" disabled={!c} onClick={() => exportCuration()}>
          Export findings CSV
        </button>
        <span className="hint">
          Exact search: one N × N product on the device in blocks ({((set.count * set.count * set.dims * 2) / 1e9).toFixed(1)} GFLOP).
        </span>
      </div>
      {c && (
        <>
          <Fold
            testId="embed-exact"
            select={{ label: 'select all', indices: () => c.exact.flat() }}
            open
            groups={c.exact.length}
            summary={
              <>
                Exact duplicates: {c.exact.length} group{c.exact.length === 1 ? '' : 's'} of identical pixels
              </>
            }
          >
            {c.exact.slice(0, 10).map((g) => (
              <ThumbGrid
                key={g[0]}
                testId="embed-exact-group"
                max={12}
                names={set.names}
                items={g.map((i) => ({ index: i, caption: cls(set.labels[i]) }))}
                onPick={(i) => select([i])}
              />
            ))}
          </Fold>
          <Fold
            testId="embed-near"
            select={{ label: 'select all', indices: () => c.near.flatMap((g) => g.members) }}
            groups={c.near.length}
            summary={
              <>
                Near duplicates: {c.near.length} group{c.near.length === 1 ? '' : 's'} ({nearCount} images) at cosine ≥{' '}
                {opts.duplicateThreshold}
              </>
            }
          >
            {c.near.slice(0, 10).map((g) => (
              <ThumbGrid
                key={g.members[0]}
                testId="embed-near-group"
                max={12}
                names={set.names}
                items={g.members.map((i) => ({ index: i, caption: `${g.maxSim.toFixed(3)}` }))}
                onPick={(i) => select([i])}
              />
            ))}
            {c.near.length > 10 && <p className="hint">and {c.near.length - 10} more groups (select all to see them on the map).</p>}
          </Fold>
          <Fold
            testId="embed-outliers"
            select={{ label: 'select', indices: () => c.outliers }}
            open
            summary={
              <>
                Top {c.outliers.length} outliers (far from their {c.outlierK} nearest, or unlike the whole set){' '}
              </>
            }
          >
            <ThumbGrid
              testId="embed-outlier-list"
              names={set.names}
              items={c.outliers.map((i) => ({ index: i, caption: c.outlierScores[i].toFixed(3) }))}
              onPick={(i) => select([i])}
            />
          </Fold>
          {set.classes.length > 0 && (
            <Fold
              testId="embed-suspects"
              select={{ label: 'select', indices: () => c.suspects.map((s) => s.index) }}
              open
              summary={
                <>
                  Likely label errors: the top {c.suspects.length} images whose {c.k} neighbours vote for another class{' '}
                </>
              }
            >
              <ThumbGrid
                testId="embed-suspect-list"
                max={c.suspects.length}
                names={set.names}
                items={c.suspects.map((s) => ({
                  index: s.index,
                  caption: `${cls(s.given)} → ${cls(s.suggested)}`,
                  title: `${set.names[s.index]}: labelled ${cls(s.given)}, its neighbours say ${cls(s.suggested)} (confidence ${s.confidence.toFixed(2)})`,
                }))}
                onPick={(i) => select([i])}
              />
            </Fold>
          )}
        </>
      )}
      <Fold testId="embed-diverse" summary={<>A diverse subset to label first (k-center greedy)</>}>
        <div className="controls">
          <NumberInput testId="embed-diverse-m" label="images" value={m} min={1} max={Math.min(1000, set.count)} step={1} onChange={setM} />
          <button data-testid="embed-diverse-run" disabled={!!e.busy} onClick={() => void diverseSubset(m)}>
            Pick
          </button>
        </div>
        {e.diverse && (
          <ThumbGrid
            testId="embed-diverse-list"
            names={set.names}
            items={e.diverse.map((i, r) => ({ index: i, caption: `#${r + 1}` }))}
            onPick={(i) => select([i])}
          />
        )}
      </Fold>
    </div>
  );
}

export function Clusters() {
  const e = useStore(useShallow(pickEmbed('set', 'clusters', 'clusterNames', 'named', 'suggestion', 'busy')));
  const [k, setK] = useState(10);
  const set = e.set!;
  const cs = e.clusters;
  const draft = draftLabels(e);
  const missing = draft.filter((l) => l === null).length;
  const named = Object.keys(e.named).length;
  return (
    <div className="clusters" data-testid="embed-clusters">
      <h3>Clusters and labels</h3>
      <div className="controls">
        <NumberInput testId="embed-clusters-k" label="k" value={k} min={2} max={100} step={1} onChange={setK} />
        <button data-testid="embed-kmeans" disabled={!!e.busy} onClick={() => void runClusters(k)}>
          k-means
        </button>
        <button data-testid="embed-suggest" disabled={!!e.busy} onClick={() => void suggestClusters()}>
          Suggest k
        </button>
        {e.suggestion && (
          <span className="hint" data-testid="embed-suggestion">
            Silhouette is highest at k = {e.suggestion.best} (
            {e.suggestion.scores.map((s) => `${s.k}: ${s.silhouette.toFixed(2)}`).join(', ')}).{' '}
            <button className="link" onClick={() => setK(e.suggestion!.best)}>
              use it
            </button>
          </span>
        )}
      </div>
      {cs && (
        <>
          <p className="hint">
            k = {cs.k}: silhouette {cs.silhouette.toFixed(3)}, {(cs.ms / 1000).toFixed(1)} s. Name each cluster; each image takes its
            cluster's name unless a named selection gave it one ({named} so far).
          </p>
          <ol className="cluster-list" data-testid="embed-cluster-list">
            {cs.sizes.map((size, j) => (
              <li key={j} data-cluster={j}>
                <input
                  aria-label={`name of cluster ${j + 1}`}
                  data-testid="embed-cluster-name"
                  value={e.clusterNames[j] ?? ''}
                  onChange={(ev) => renameCluster(j, ev.target.value)}
                  size={14}
                />
                <span className="hint"> {size} images </span>
                <button className="link" onClick={() => select(Array.from(cs.assign.keys()).filter((i) => cs.assign[i] === j))}>
                  select
                </button>
                <ThumbGrid
                  testId="embed-exemplars"
                  names={set.names}
                  size={36}
                  items={cs.exemplars[j].map((i) => ({ index: i, caption: '' }))}
                  onPick={(i) => select([i])}
                />
              </li>
            ))}
          </ol>
        </>
      )}
      <div className="controls">
        <button
          data-testid="embed-apply-labels"
          className="primary"
          disabled={missing > 0 || !!e.busy || (!cs && named === 0)}
          onClick={() => void applyLabels()}
        >
          Use as the dataset's labels
        </button>
        <button data-testid="embed-export-labels" disabled={missing > 0} onClick={() => exportLabels()}>
          Export labels CSV
        </button>
        <span className="hint" data-testid="embed-labels-state">
          {missing > 0
            ? `${missing} images have no label yet: run k-means or name more selections.`
            : `Every image has a label (${new Set(draft).size} classes). Applying stores them with the dataset in this browser; k-NN, the probe and the online curve then use them.`}
        </span>
      </div>
    </div>
  );
}
