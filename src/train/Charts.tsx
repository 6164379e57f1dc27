import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DiagnosticsRecord } from '../../workers/contract/api';
import { useStore } from '../store';
import { downsample } from '../format';
import { ChartFigure, summarize, TABLE_ROWS } from './chartText';
import { KnnChart } from './KnnChart';

type Row = { step: number } & Record<string, number>;
interface Series {
  key: string;
  label: string;
  color: string;
}
interface ChartSpec {
  id: string;
  title: string;
  series: Series[];
  help?: string;
}

const one = (key: string, color: string): Series[] => [{ key, label: key, color }];
const P = '#2563eb'; // projector
const B = '#ea580c'; // backbone

const LOSS_CHARTS: ChartSpec[] = [
  { id: 'chart-loss', title: 'Loss', series: one('loss', '#111827') },
  { id: 'chart-invariance', title: 'Invariance (MSE between views)', series: one('invariance', '#2563eb') },
  { id: 'chart-variance', title: 'Variance (std hinge)', series: one('variance', '#d97706') },
  { id: 'chart-covariance', title: 'Covariance (off-diagonal)', series: one('covariance', '#059669') },
  { id: 'chart-gamma', title: 'Target gammaT', series: one('gammaT', '#7c3aed') },
  { id: 'chart-lr', title: 'Learning rate', series: one('lr', '#db2777') },
  { id: 'chart-speed', title: 'Images / s', series: one('imagesPerSec', '#475569') },
];

const both = (stat: string): Series[] => [
  { key: `projector_${stat}`, label: 'projector', color: P },
  { key: `backbone_${stat}`, label: 'backbone', color: B },
];
const stds = (where: 'projector' | 'backbone', color: string): Series[] => [
  { key: `${where}_stdMax`, label: 'max', color: `${color}66` },
  { key: `${where}_stdMean`, label: 'mean', color },
  { key: `${where}_stdMin`, label: 'min', color: '#dc2626' },
];

const DIAG_CHARTS: ChartSpec[] = [
  {
    id: 'chart-rankme',
    title: 'RankMe (effective rank)',
    series: both('rankMe'),
    help: 'Falls towards 1 as the embeddings collapse; at most min(batch, dim)',
  },
  {
    id: 'chart-std-projector',
    title: 'Per-dimension std, projector',
    series: stds('projector', P),
    help: 'A min under 0.01 means dimensions have collapsed',
  },
  { id: 'chart-std-backbone', title: 'Per-dimension std, backbone', series: stds('backbone', B) },
  { id: 'chart-cosine', title: 'Mean pairwise cosine', series: both('cosine'), help: 'Near 1: every image maps to the same direction' },
  { id: 'chart-covsq', title: 'Mean squared off-diagonal covariance', series: both('covSq') },
];

const fmt = (v: number) =>
  !Number.isFinite(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);

function flattenDiagnostics(d: DiagnosticsRecord): Row {
  const row: Row = { step: d.step };
  for (const where of ['projector', 'backbone'] as const) {
    for (const [k, v] of Object.entries(d[where])) row[`${where}_${k}`] = v;
  }
  return row;
}

/** Whether the element is on screen (or within 200 px of it); true where that cannot be told. */
function useOnScreen<T extends Element>(): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [on, setOn] = useState(true);
  useEffect(() => {
    if (!ref.current || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(([e]) => setOn(e.isIntersecting), { rootMargin: '200px' });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, on];
}

/**
 * Redrawn only when its own rows change (the diagnostics charts not at every metrics window) and
 * only while on screen: the plot of a chart scrolled away keeps its last drawing, and catches up
 * when it comes back. Drawing the thirteen charts took a fifth of the page's thread during a run,
 * time that a 2-core machine takes from the training (bench/loop.ts).
 */
const Chart = memo(function Chart({ spec, rows }: { spec: ChartSpec; rows: Row[] }) {
  const [ref, onScreen] = useOnScreen<HTMLElement>();
  const drawn = useRef(rows);
  if (onScreen) drawn.current = rows;
  const plotted = drawn.current;
  const data = useMemo(() => downsample(plotted, TABLE_ROWS), [plotted]);
  const plot = usePlot(spec, data);
  // In words and as a table, what the plot draws: redone only when the plot is.
  const summary = useMemo(
    () =>
      summarize(
        spec.series.map((s) => ({
          label: spec.series.length > 1 ? s.label : spec.title,
          points: plotted.map((r) => ({ x: r.step, y: r[s.key] })),
        })),
        fmt,
      ),
    [spec, plotted],
  );
  const table = useMemo(() => data.map((r) => [r.step, ...spec.series.map((s) => r[s.key])]), [spec, data]);
  const last = rows[rows.length - 1];
  // data-finite lets a test (and a curious user in devtools) see that no series holds NaN or ±Inf.
  const finite = rows.every((r) => spec.series.every((s) => Number.isFinite(r[s.key])));
  // Mean of the first and last tenth of the first series: the trend, for tests and tooltips.
  const tenth = Math.max(1, Math.floor(rows.length / 10));
  const mean = (part: Row[]) => part.reduce((a, r) => a + r[spec.series[0].key], 0) / part.length;
  const trend = rows.length ? { 'data-head': mean(rows.slice(0, tenth)), 'data-tail': mean(rows.slice(-tenth)) } : {};
  return (
    <ChartFigure
      figureRef={ref}
      name={spec.title}
      caption={
        <>
          {spec.title}
          {last && spec.series.length === 1 && <span className="last">{fmt(last[spec.series[0].key])}</span>}
        </>
      }
      legend={
        spec.series.length > 1 && (
          <div className="legend">
            {spec.series.map((s) => (
              <span key={s.key}>
                <i style={{ background: s.color }} />
                {s.label}
                {last && <> {fmt(last[s.key])}</>}
              </span>
            ))}
          </div>
        )
      }
      summary={summary}
      columns={['step', ...spec.series.map((s) => s.label)]}
      rows={table}
      fmt={fmt}
      plot={plot}
      data-testid={spec.id}
      data-points={rows.length}
      data-plotted={data.length}
      data-finite={String(finite)}
      title={spec.help}
      {...trend}
    />
  );
});

/** The plot itself, one element per `data`: while the chart is away its element stays the same,
 *  so React does not enter recharts at all (its selectors cost the page's thread at every window).
 *  Without recharts' accessibility layer: the plot is hidden from assistive technology (the
 *  figure's summary and table carry its numbers), so it must not take the keyboard focus either. */
function usePlot(spec: ChartSpec, data: Row[]): React.ReactElement {
  return useMemo(
    () => (
      <ResponsiveContainer width="100%" height={150}>
        <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 10 }} />
          <YAxis tick={{ fontSize: 10 }} width={44} tickFormatter={fmt} domain={['auto', 'auto']} />
          <Tooltip formatter={(v) => fmt(Number(v))} labelFormatter={(s) => `step ${s}`} />
          {spec.series.map((s) => (
            <Line key={s.key} dataKey={s.key} name={s.label} stroke={s.color} dot={false} isAnimationActive={false} strokeWidth={1.5} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    ),
    [spec, data],
  );
}

export function Charts() {
  const metrics = useStore((s) => s.metrics) as unknown as Row[];
  const diagnostics = useStore((s) => s.diagnostics);
  const diagRows = useMemo(() => diagnostics.map(flattenDiagnostics), [diagnostics]);
  return (
    <>
      <KnnChart />
      <h3>Loss terms and schedules</h3>
      <div className="charts">
        {LOSS_CHARTS.map((c) => (
          <Chart key={c.id} spec={c} rows={metrics} />
        ))}
      </div>
      <h3>
        Collapse diagnostics <span className="hint">view 1 of the batch, every diagEvery steps</span>
      </h3>
      <div className="charts">
        {DIAG_CHARTS.map((c) => (
          <Chart key={c.id} spec={c} rows={diagRows} />
        ))}
      </div>
    </>
  );
}
