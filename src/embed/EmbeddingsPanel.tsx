// The dataset as the encoder sees it: every image embedded, mapped in 2-D (PCA, UMAP) beside
// random init, with neighbours, duplicates, outliers, label suspects, a diverse subset to label
// first, and clusters a user can name into the dataset's labels. The work runs in the worker
// (workers/embed/); this thread only draws.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from '../format';
import { cancelEvaluation } from '../eval/actions';
import { TaskProgress } from '../progress';
import { useStore } from '../store';
import { embeddingBlocked } from '../store/selectors';
import {
  embedSetName,
  exportMap,
  exportSelection,
  findSimilar,
  findSimilarToFile,
  mapDataset,
  nameSelection,
  planEmbedding,
  runUmap,
  select,
  thumbBitmap,
  wantThumbs,
} from './actions';
import { Clusters, Curation } from './Curation';
import { ScatterGL, softwareGl } from './ScatterGL';
import { pointColors } from './colors';
import { type ColorBy, emptyEmbed, pickEmbed } from './slice';
import { BitmapThumb, ThumbGrid, useThumbVersion } from './ThumbGrid';

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => setW(Math.floor(entry.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

function Hover() {
  const e = useStore(useShallow(pickEmbed('hover', 'set', 'clusters', 'clusterNames', 'curation')));
  useThumbVersion();
  const i = e.hover;
  const set = e.set!;
  useEffect(() => {
    if (i !== null) void wantThumbs([i]);
  }, [i]);
  if (i === null) return <p className="hint map-hover-empty">Hover a point to see its image; click it for the 16 most similar.</p>;
  const cls = set.labels[i] >= 0 ? set.classes[set.labels[i]] : 'no label';
  return (
    <div className="embed-hover" data-testid="embed-hover" data-index={i} data-name={set.names[i]}>
      <BitmapThumb index={i} size={64} label={set.names[i]} />
      <span>{set.names[i]}</span>
      <span>{cls}</span>
      {e.clusters && <span>{e.clusterNames[e.clusters.assign[i]]}</span>}
      {e.curation && <span>outlier score {e.curation.outlierScores[i].toFixed(3)}</span>}
    </div>
  );
}

function Maps() {
  const e = useStore(
    useShallow(pickEmbed('set', 'method', 'umap', 'colorBy', 'curation', 'clusters', 'clusterNames', 'selection', 'hover')),
  );
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const thumbsVersion = useThumbVersion();
  const [lasso, setLasso] = useState(false);
  const set = e.set!;
  const twin = !!set.pca.random;
  // Two maps side by side where both fit (each with its 1 px border), else one above the other.
  const side = twin && width >= 560 ? Math.floor((width - 12) / 2) - 2 : width - 2;
  const height = Math.min(360, Math.max(240, Math.round(side * 0.8)));
  const { set: s0, colorBy, curation, clusters, clusterNames } = e;
  const { colors, legend } = useMemo(
    () => pointColors({ set: s0, colorBy, curation, clusters, clusterNames }),
    [s0, colorBy, curation, clusters, clusterNames],
  );
  const selected = useMemo(() => {
    const m = new Uint8Array(set.count);
    for (const i of e.selection) m[i] = 1;
    return m;
  }, [e.selection, set.count]);
  const layout = (w: 'trained' | 'random') => (e.method === 'umap' && e.umap[w]) || (w === 'trained' ? set.pca.trained : set.pca.random!);
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  const caption = (w: 'trained' | 'random') => {
    const who = w === 'trained' ? embedSetName(set) : 'random init (same architecture)';
    if (e.method === 'umap' && e.umap[w])
      return `${who}: UMAP${e.umap.settling && e.umap.epoch < e.umap.epochs ? `, settling (epoch ${e.umap.epoch} of ${e.umap.epochs})` : ''}`;
    const ex = w === 'trained' ? set.pca.explained : set.pca.explainedRandom!;
    return `${who}: PCA, axes hold ${pct(ex[0])} and ${pct(ex[1])} of the variance`;
  };
  const common = {
    colors,
    selected,
    highlight: e.hover,
    width: side,
    height,
    onHover: (i: number | null) => useStore.getState().setEmbed({ hover: i }),
    onPick: (i: number) => {
      select([i]);
      void findSimilar([i]);
    },
    onLasso: (indices: number[]) => select(indices),
    lasso,
    thumb: thumbBitmap,
    wantThumbs: (ix: number[]) => void wantThumbs(ix),
    thumbsVersion,
  };
  const setEmbed = useStore((s) => s.setEmbed);
  return (
    <div ref={box} className="embed-maps-box">
      <div className="controls">
        <fieldset className="segmented">
          <legend>Layout</legend>
          <label>
            <input type="radio" name="embed-method" checked={e.method === 'pca'} onChange={() => setEmbed({ method: 'pca' })} /> PCA
          </label>
          <label>
            <input
              type="radio"
              name="embed-method"
              data-testid="embed-umap"
              checked={e.method === 'umap'}
              onChange={() => void runUmap()}
            />{' '}
            UMAP
          </label>
        </fieldset>
        <label>
          Colour by{' '}
          <select data-testid="embed-color" value={e.colorBy} onChange={(ev) => setEmbed({ colorBy: ev.target.value as ColorBy })}>
            <option value="class">class</option>
            <option value="cluster" disabled={!e.clusters}>
              cluster
            </option>
            <option value="predicted" disabled={!e.curation || !set.classes.length}>
              k-NN vote
            </option>
            <option value="outlier" disabled={!e.curation}>
              outlier score
            </option>
            <option value="split">split</option>
          </select>
        </label>
        <label>
          <input type="checkbox" data-testid="embed-lasso" checked={lasso} onChange={(ev) => setLasso(ev.target.checked)} /> Lasso (drag to
          select; off: drag pans, wheel zooms, double-click fits)
        </label>
        <button data-testid="embed-export-map" onClick={() => exportMap()}>
          Export map CSV
        </button>
      </div>
      <div className="embed-maps">
        {(twin ? (['trained', 'random'] as const) : (['trained'] as const)).map((w) => (
          <figure key={w}>
            <figcaption data-testid={`embed-caption-${w}`}>{caption(w)}</figcaption>
            <ScatterGL
              testId={`embed-map-${w}`}
              label={`map of ${set.count} images, ${caption(w)}`}
              coords={layout(w)}
              layout={e.method === 'umap' && e.umap[w] ? 'umap' : 'pca'}
              {...common}
            />
          </figure>
        ))}
      </div>
      <ul className="legend">
        {legend.slice(0, 40).map((l) => (
          <li key={l.name}>
            <span className="swatch" style={{ background: `rgb(${l.rgb.join(',')})` }} />
            {l.name}
          </li>
        ))}
      </ul>
      <Hover />
    </div>
  );
}

function SelectionBar() {
  const e = useStore(useShallow(pickEmbed('set', 'selection', 'neighbours', 'busy')));
  const [name, setName] = useState('');
  const set = e.set!;
  const n = e.selection.length;
  return (
    <div className="controls selection-bar" data-testid="embed-selection" data-count={n}>
      <span>
        {n === 0 ? 'Nothing selected: click a point, draw a lasso, or pick a list below.' : `${n} image${n === 1 ? '' : 's'} selected.`}
      </span>
      <button disabled={!n || !!e.busy} onClick={() => void findSimilar(e.selection)}>
        More like this
      </button>
      <label>
        Label{' '}
        <input data-testid="embed-name-input" value={name} onChange={(ev) => setName(ev.target.value)} placeholder="class name" size={12} />
      </label>
      <button data-testid="embed-name-apply" disabled={!n || !name.trim()} onClick={() => nameSelection(name)}>
        Name selection
      </button>
      <button data-testid="embed-export-csv" disabled={!n} onClick={() => exportSelection('csv')}>
        Export CSV
      </button>
      <button data-testid="embed-export-json" disabled={!n} onClick={() => exportSelection('json')}>
        Export JSON
      </button>
      <button disabled={!n} onClick={() => select([])}>
        Clear
      </button>
      <label className={`button secondary ${e.busy ? 'disabled' : ''}`}>
        Images like a new one…
        <input
          type="file"
          accept="image/*"
          data-testid="embed-query-file"
          onChange={(ev) => {
            const f = ev.target.files?.[0];
            if (f) void findSimilarToFile(f);
            ev.target.value = '';
          }}
        />
      </label>
      {e.neighbours && (
        <div className="embed-neighbours">
          <p className="hint">
            Most similar to{' '}
            {e.neighbours.file
              ? `the new image ${e.neighbours.file}`
              : e.neighbours.of.length === 1
                ? set.names[e.neighbours.of[0]]
                : `the ${e.neighbours.of.length} selected (their mean direction)`}
            , by cosine:
          </p>
          <ThumbGrid
            testId="embed-neighbours"
            names={set.names}
            items={e.neighbours.indices.map((i, r) => ({ index: i, caption: e.neighbours!.sims[r].toFixed(3) }))}
            onPick={(i) => {
              select([i]);
              void findSimilar([i]);
            }}
          />
        </div>
      )}
    </div>
  );
}

export function EmbeddingsPanel() {
  const reason = useStore(embeddingBlocked);
  const e = useStore(useShallow(pickEmbed('status', 'progress', 'error', 'busy', 'plan', 'withRandom', 'set')));
  const datasetId = useStore((s) => s.dataset?.id);
  const setEmbed = useStore((s) => s.setEmbed);
  const runState = useStore((s) => s.runState);
  const source = useStore((s) => s.evalSourceName);
  const running = e.status === 'running';
  // What the map will hold, stated before it starts: asked again when the weights or data change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: datasetId and source stand for the dataset and the weights the worker holds
  useEffect(() => {
    if (!reason && runState !== 'running' && runState !== 'paused') void planEmbedding();
  }, [reason, datasetId, runState, source]);
  // A map of another dataset (one opened, loaded or ingested since) is cleared, not left to fail.
  useEffect(() => {
    if (e.set && e.set.datasetId !== datasetId) setEmbed({ ...emptyEmbed, withRandom: e.withRandom });
  }, [e.set, datasetId, e.withRandom, setEmbed]);
  // Which renderer the maps will use is asked while the images are embedded, not as they mount.
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(() => void softwareGl(), 0);
    return () => clearTimeout(t);
  }, [running]);
  const plan = e.plan;
  return (
    <section className="panel embed" data-testid="embed-panel">
      <h2>Embeddings</h2>
      <p className="hint">
        Every image of the dataset through the encoder: a map, its nearest images, duplicates, outliers, likely label errors, a diverse
        subset to label first, and clusters you can name into labels. No labels needed.
      </p>
      <div className="controls">
        <button data-testid="embed-run" className="primary" disabled={reason !== null || running} onClick={() => void mapDataset()}>
          Map the dataset
        </button>
        <label>
          <input type="checkbox" checked={e.withRandom} onChange={(ev) => setEmbed({ withRandom: ev.target.checked })} /> beside random init
        </label>
        {reason && (
          <span className="hint" data-testid="embed-blocked">
            {reason}
          </span>
        )}
        {!reason && plan && (
          <span className="hint" data-testid="embed-plan">
            {plan.count.toLocaleString('en')} images × {plan.dims} dims: {formatBytes(plan.bytes * (e.withRandom ? 2 : 1))} of features
            {e.withRandom ? ' (trained and random init)' : ''} and up to {formatBytes(plan.atlasBytes)} of thumbnails, in this tab.
          </span>
        )}
      </div>
      {e.progress && (
        <TaskProgress
          testId="embed-progress"
          title={e.status === 'running' ? 'Map' : 'Curation'}
          progress={e.progress}
          onCancel={() => void cancelEvaluation()}
        />
      )}
      {e.error && (
        <p className="error" data-testid="embed-error">
          {e.error}
        </p>
      )}
      {e.busy && (
        <p className="hint" data-testid="embed-busy">
          Working: {e.busy}…
        </p>
      )}
      {e.set && (
        <>
          <p className="hint" data-testid="embed-summary" data-count={e.set.count}>
            {e.set.count.toLocaleString('en')} images embedded ({e.set.featLayer}, {e.set.dims} dims) in {(e.set.ms / 1000).toFixed(1)} s;{' '}
            {formatBytes(e.set.bytes)} of features held in the worker.
          </p>
          <Maps />
          <SelectionBar />
          <Curation />
          <Clusters />
        </>
      )}
    </section>
  );
}
