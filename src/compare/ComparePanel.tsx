// Runs side by side: the ticked runs' curves overlaid (loss terms, gammaT, RankMe, online k-NN),
// each in its colour, by step or by images seen; what differs in their settings; their best
// evaluation results. Everything comes from IndexedDB (each run's latest checkpoint): it costs no
// training time and survives reloads.
import { useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunHistory, RunRecord } from '../../workers/contract/api';
import { downsample, top1WithInterval } from '../format';
import { useStore } from '../store';
import { ChartFigure, summarize, TABLE_ROWS } from '../train/chartText';
import { toggleCompare } from './actions';
import { configDiff } from './diff';

const COLOURS = ['#2563eb', '#dc2626', '#047857', '#b45309', '#7c3aed', '#db2777', '#0e7490', '#4b5563'];

type Axis = 'step' | 'images';
const precise = (v: number) => v.toPrecision(4);
interface Point {
  x: number;
  y: number;
}
interface Metric {
  id: string;
  title: string;
  points(h: RunHistory): { step: number; y: number }[];
}

const METRICS: Metric[] = [
  { id: 'loss', title: 'Loss', points: (h) => h.metrics.map((r) => ({ step: r.step, y: r.loss })) },
  { id: 'invariance', title: 'Invariance', points: (h) => h.metrics.map((r) => ({ step: r.step, y: r.invariance })) },
  { id: 'variance', title: 'Variance', points: (h) => h.metrics.map((r) => ({ step: r.step, y: r.variance })) },
  { id: 'covariance', title: 'Covariance', points: (h) => h.metrics.map((r) => ({ step: r.step, y: r.covariance })) },
  { id: 'gamma', title: 'Target gammaT', points: (h) => h.metrics.map((r) => ({ step: r.step, y: r.gammaT })) },
  { id: 'rankme', title: 'RankMe, projector', points: (h) => h.diagnostics.map((d) => ({ step: d.step, y: d.projector.rankMe })) },
  { id: 'knn', title: 'Online k-NN top-1', points: (h) => h.knn.map((k) => ({ step: k.step, y: k.top1 })) },
];

function CompareChart({ metric, runs, labels, axis }: { metric: Metric; runs: RunHistory[]; labels: string[]; axis: Axis }) {
  const series = useMemo(
    () =>
      runs.map((h) =>
        downsample(metric.points(h), 300)
          .filter((p) => Number.isFinite(p.y))
          .map((p): Point => ({ x: axis === 'step' ? p.step : p.step * h.config.batchSize, y: p.y })),
      ),
    [metric, runs, axis],
  );
  const xName = axis === 'step' ? 'step' : 'images seen';
  const summary = useMemo(
    () =>
      summarize(
        series.map((points, i) => ({ label: labels[i], points })),
        precise,
        xName,
      ),
    [series, labels, xName],
  );
  // One row per x that any run plots, one column per run; thinned where runs of different batch
  // sizes plot at different x (by images seen) and the rows of 8 runs would be 8 times as many.
  const merged = useMemo(() => {
    const byX = new Map<number, (number | undefined)[]>();
    series.forEach((points, i) => {
      for (const p of points) {
        if (!byX.has(p.x)) byX.set(p.x, [p.x, ...series.map(() => undefined)]);
        byX.get(p.x)![i + 1] = p.y;
      }
    });
    return [...byX.values()].sort((a, b) => a[0]! - b[0]!);
  }, [series]);
  const table = useMemo(() => downsample(merged, TABLE_ROWS), [merged]);
  const drawn = series.filter((s) => s.length > 0).length;
  if (drawn === 0) return null;
  return (
    <ChartFigure
      data-testid={`compare-chart-${metric.id}`}
      data-series={drawn}
      data-plotted={merged.length}
      name={metric.title}
      caption={metric.title}
      summary={summary}
      columns={[xName, ...labels]}
      rows={table}
      fmt={precise}
      total={merged.length}
      plot={
        <ResponsiveContainer width="100%" height={150}>
          <LineChart margin={{ top: 4, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis
              type="number"
              dataKey="x"
              domain={['dataMin', 'dataMax']}
              tick={{ fontSize: 10, fill: '#374151' }}
              allowDuplicatedCategory={false}
            />
            <YAxis tick={{ fontSize: 10, fill: '#374151' }} width={44} domain={['auto', 'auto']} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? precise(v) : String(v))} labelFormatter={(x) => `${xName} ${String(x)}`} />
            {series.map((data, i) => (
              <Line
                key={runs[i].runId}
                data={data}
                dataKey="y"
                name={labels[i]}
                stroke={COLOURS[i % COLOURS.length]}
                dot={false}
                isAnimationActive={false}
                strokeWidth={1.5}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      }
    />
  );
}

/** The table's rows of best results: the evaluations stored with checkpoints. */
const BEST = [
  ['knn', 'best k-NN'],
  ['probe', 'best probe'],
] as const;

/** The best top-1 of the trained encoder over a run's checkpoints, per evaluation, with its 95% interval. */
function best(run: RunRecord | undefined, kind: 'knn' | 'probe'): string {
  const results = (run?.checkpoints ?? []).flatMap((c) => {
    const r = c.results?.[kind];
    return r?.top1.trained === undefined ? [] : [{ top1: r.top1.trained, n: r.testCount }];
  });
  if (!results.length) return '–';
  const top = results.reduce((a, b) => (b.top1 > a.top1 ? b : a));
  return top1WithInterval(top.top1, top.n);
}

export function ComparePanel() {
  const runs = useStore((s) => s.compare);
  const records = useStore((s) => s.runs);
  const [axis, setAxis] = useState<Axis>('step');
  if (runs.length === 0) return null;
  const diff = configDiff(runs.map((h) => h.config));
  // Runs named alike (same data, same minute) are told apart by their first differing setting.
  const labels = runs.map((h, i) =>
    runs.some((o, j) => j !== i && o.name === h.name)
      ? `${h.name} (${diff.length ? `${diff[0].key} ${diff[0].values[i]}` : h.runId.slice(-4)})`
      : h.name,
  );
  return (
    <section className="panel compare" data-testid="compare-panel">
      <h2>Compare runs</h2>
      <div className="controls">
        <ul className="legend" data-testid="compare-legend">
          {runs.map((h, i) => (
            <li key={h.runId}>
              <span className="swatch" style={{ background: COLOURS[i % COLOURS.length] }} /> {labels[i]}
              <button className="link" onClick={() => void toggleCompare(h.runId)} aria-label={`Remove ${labels[i]} from the comparison`}>
                remove
              </button>
            </li>
          ))}
        </ul>
        <label>
          x axis{' '}
          <select data-testid="compare-axis" value={axis} onChange={(e) => setAxis(e.target.value as Axis)}>
            <option value="step">step</option>
            <option value="images">images seen</option>
          </select>
        </label>
      </div>
      <div className="charts">
        {METRICS.map((m) => (
          <CompareChart key={m.id} metric={m} runs={runs} labels={labels} axis={axis} />
        ))}
      </div>
      <table className="results" data-testid="compare-table">
        <caption>Settings that differ, and the best top-1 of each run's evaluations</caption>
        <thead>
          <tr>
            <th scope="col">setting</th>
            {runs.map((h, i) => (
              <th scope="col" key={h.runId} style={{ color: COLOURS[i % COLOURS.length] }}>
                {labels[i]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {diff.map((d) => (
            <tr key={d.key} data-key={d.key}>
              <th scope="row">{d.key}</th>
              {d.values.map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          ))}
          {diff.length === 0 && runs.length > 1 && (
            <tr>
              <th scope="row">settings</th>
              <td colSpan={runs.length}>the same</td>
            </tr>
          )}
          {BEST.map(([kind, label]) => (
            <tr key={kind} data-key={`best-${kind}`}>
              <th scope="row">{label}</th>
              {runs.map((h) => (
                <td key={h.runId}>
                  {best(
                    records.find((r) => r.runId === h.runId),
                    kind,
                  )}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
