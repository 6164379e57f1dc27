// The dataset as the encoder sees it: every image embedded, mapped in 2-D (PCA, UMAP) beside
// random init, with neighbours, duplicates, outliers, label suspects, a diverse subset to label
// first, and clusters a user can name into the dataset's labels. The work runs in the worker
// (workers/embed/); this thread only draws.
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatBytes } from '../format';
import { useStore } from '../store';
import { embeddingBlocked } from '../store/selectors';
import { TaskProgress } from '../eval/EvalPanel';
import { classColor } from '../eval/FeatureMap';
import {
  embedSetName,
  exportMap,
  exportSelection,
  findSimilar,
  mapDataset,
  nameSelection,
  planEmbedding,
  runUmap,
  select,
  thumbCanvas,
  wantThumbs,
} from './actions';
import { Clusters, Curation } from './Curation';
import { ScatterGL } from './ScatterGL';
import type { ColorBy, EmbedState } from './slice';
import { ThumbGrid, useThumbVersion } from './ThumbGrid';

const GREY: [number, number, number] = [160, 160, 160];
const hex = (h: string): [number, number, number] => {
  if (h.startsWith('hsl')) {
    const [hh, s, l] = h.match(/[\d.]+/g)!.map(Number);
    const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
    const f = (n: number) => {
      const k = (n + hh / 30) % 12;
      return Math.round(255 * (l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
    };
    return [f(0), f(8), f(4)];
  }
  return [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
};
/** Viridis at five stops (matplotlib), interpolated: low outlier scores dark blue, high yellow. */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
function ramp(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[i][c] * (1 - f) + VIRIDIS[i + 1][c] * f)) as [number, number, number];
}

/** [N, 3] colours of the points under the chosen colouring, and the legend that explains them. */
export function pointColors(e: EmbedState): { colors: Uint8Array; legend: { name: string; rgb: [number, number, number] }[] } {
  const set = e.set!;
  const out = new Uint8Array(set.count * 3);
  const paint = (i: number, rgb: [number, number, number]) => out.set(rgb, 3 * i);
  const by: ColorBy = e.colorBy;
  if (by === 'outlier' && e.curation) {
    const s = e.curation.outlierScores;
    const sorted = Float32Array.from(s).sort();
    const lo = sorted[Math.floor(0.02 * (s.length - 1))];
    const hi = sorted[Math.floor(0.98 * (s.length - 1))];
    for (let i = 0; i < set.count; i++) paint(i, ramp((s[i] - lo) / (hi - lo || 1)));
    return {
      colors: out,
      legend: [
        { name: 'typical', rgb: ramp(0) },
        { name: 'outlying', rgb: ramp(1) },
      ],
    };
  }
  if (by === 'split') {
    const train: [number, number, number] = [78, 121, 167];
    const test: [number, number, number] = [242, 142, 43];
    for (let i = 0; i < set.count; i++) paint(i, set.split[i] ? test : train);
    return {
      colors: out,
      legend: set.split.some((v) => v)
        ? [
            { name: 'train', rgb: train },
            { name: 'test', rgb: test },
          ]
        : [{ name: 'all images', rgb: train }],
    };
  }
  if (by === 'cluster' && e.clusters) {
    const cs = e.clusters;
    for (let i = 0; i < set.count; i++) paint(i, hex(classColor(cs.assign[i])));
    return { colors: out, legend: e.clusterNames.map((name, k) => ({ name, rgb: hex(classColor(k)) })) };
  }
  const labels = by === 'predicted' && e.curation ? e.curation.predicted : set.labels;
  for (let i = 0; i < set.count; i++) paint(i, labels[i] >= 0 ? hex(classColor(labels[i])) : GREY);
  return {
    colors: out,
    legend: set.classes.length ? set.classes.map((name, k) => ({ name, rgb: hex(classColor(k)) })) : [{ name: 'no label', rgb: GREY }],
  };
}

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

function Hover({ e }: { e: EmbedState }) {
  useThumbVersion();
  const i = e.hover;
  const set = e.set!;
  useEffect(() => {
    if (i !== null) void wantThumbs([i]);
  }, [i]);
  if (i === null) return <p className="hint map-hover-empty">Hover a point to see its image; click it for the 16 most similar.</p>;
  const c = thumbCanvas(i);
  const cls = set.labels[i] >= 0 ? set.classes[set.labels[i]] : 'no label';
  return (
    <div className="embed-hover" data-testid="embed-hover" data-index={i} data-name={set.names[i]}>
      {c ? (
        <img src={c.toDataURL()} width={64} height={64} alt={set.names[i]} />
      ) : (
        <span className="thumb-missing" style={{ width: 64, height: 64 }} />
      )}
      <span>{set.names[i]}</span>
      <span>{cls}</span>
      {e.clusters && <span>{e.clusterNames[e.clusters.assign[i]]}</span>}
      {e.curation && <span>outlier score {e.curation.outlierScores[i].toFixed(3)}</span>}
    </div>
  );
}

function Maps({ e }: { e: EmbedState }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const thumbsVersion = useThumbVersion();
  const [lasso, setLasso] = useState(false);
  const set = e.set!;
  const twin = !!set.pca.random;
  const side = twin && width >= 560 ? Math.floor((width - 12) / 2) : width;
  const height = Math.min(360, Math.max(240, Math.round(side * 0.8)));
  const { colors, legend } = useMemo(() => pointColors(e), [e]);
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
    thumb: thumbCanvas,
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
        <figure>
          <figcaption data-testid="embed-caption-trained">{caption('trained')}</figcaption>
          <ScatterGL
            testId="embed-map-trained"
            label={`map of ${set.count} images, ${caption('trained')}`}
            coords={layout('trained')}
            {...common}
          />
        </figure>
        {twin && (
          <figure>
            <figcaption data-testid="embed-caption-random">{caption('random')}</figcaption>
            <ScatterGL
              testId="embed-map-random"
              label={`map of ${set.count} images, ${caption('random')}`}
              coords={layout('random')}
              {...common}
            />
          </figure>
        )}
      </div>
      <ul className="legend">
        {legend.slice(0, 40).map((l) => (
          <li key={l.name}>
            <span className="swatch" style={{ background: `rgb(${l.rgb.join(',')})` }} />
            {l.name}
          </li>
        ))}
      </ul>
      <Hover e={e} />
    </div>
  );
}

function SelectionBar({ e }: { e: EmbedState }) {
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
      {e.neighbours && (
        <div className="embed-neighbours">
          <p className="hint">
            Most similar to{' '}
            {e.neighbours.of.length === 1 ? set.names[e.neighbours.of[0]] : `the ${e.neighbours.of.length} selected (their mean direction)`}
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
  const e = useStore((s) => s.embed);
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
      {e.progress && <TaskProgress testId="embed-progress" title={e.status === 'running' ? 'Map' : 'Curation'} progress={e.progress} />}
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
          <Maps e={e} />
          <SelectionBar e={e} />
          <Curation e={e} />
          <Clusters e={e} />
        </>
      )}
    </section>
  );
}
