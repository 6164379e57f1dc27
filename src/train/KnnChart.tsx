// The online k-NN curve (workers/train/online-knn.ts): top-1 of the trained encoder on fixed
// subsets, with the raw-pixel and random-init accuracies on the same subsets as reference lines,
// so "has training taught more than the pixels hold?" is read off the chart.
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useMemo } from 'react';
import { downsample, percent } from '../format';
import { useStore } from '../store';
import { ChartFigure, summarize, TABLE_ROWS } from './chartText';

const PIXELS = '#0f766e';
const RANDOM = '#9ca3af';

export function KnnChart() {
  const points = useStore((s) => s.knn);
  const lines = useStore((s) => s.knnBaselines);
  const plan = useStore((s) => s.budgetPlan);
  const summary = useMemo(
    () =>
      lines
        ? `${summarize([{ label: 'trained top-1', points: points.map((p) => ({ x: p.step, y: p.top1 })) }], percent)} ` +
          `Raw pixels ${percent(lines.pixels)}, random init ${percent(lines.random)}.`
        : '',
    [points, lines],
  );
  const plotted = useMemo(() => downsample(points, TABLE_ROWS), [points]);
  const table = useMemo(() => plotted.map((p) => [p.step, p.top1]), [plotted]);
  if (!lines) return null;
  const last = points[points.length - 1];
  const values = [...points.map((p) => p.top1), lines.pixels, lines.random];
  const lo = Math.max(0, Math.floor(20 * Math.min(...values)) / 20 - 0.05);
  const hi = Math.min(1, Math.ceil(20 * Math.max(...values)) / 20 + 0.02);
  return (
    <ChartFigure
      className="chart wide"
      data-testid="chart-knn"
      data-points={points.length}
      data-plotted={table.length}
      data-finite={String(values.every(Number.isFinite))}
      data-pixels={lines.pixels}
      data-random={lines.random}
      data-last={last?.top1}
      title={`k-NN (k, T as under Eval) of ${lines.testCount} held-out images against ${lines.trainCount} training images, ${lines.features}, every ${lines.every || 'auto'} steps`}
      name="Online k-NN top-1"
      caption={
        <>
          Online k-NN top-1{' '}
          <span className="hint">
            ({lines.features}; {lines.testCount} test / {lines.trainCount} train images{lines.every ? `, every ${lines.every} steps` : ''})
          </span>
          {last && <span className="last">{percent(last.top1)}</span>}
        </>
      }
      legend={
        <div className="legend">
          <span>
            <i style={{ background: '#111827' }} />
            trained {percent(last?.top1)}
          </span>
          <span>
            <i style={{ background: PIXELS }} />
            raw pixels {percent(lines.pixels)}
          </span>
          <span>
            <i style={{ background: RANDOM }} />
            random init {percent(lines.random)}
          </span>
          {plan && (
            <span data-testid="budget-plan">
              budget {plan.budgetMinutes} min → {plan.epochs} epochs ({plan.msPerStep.toFixed(0)} ms/step)
            </span>
          )}
        </div>
      }
      summary={summary}
      columns={['step', 'trained top-1']}
      rows={table}
      fmt={percent}
      plot={
        <ResponsiveContainer width="100%" height={170}>
          <LineChart data={plotted} margin={{ top: 4, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={[0, 'dataMax']} tick={{ fontSize: 10 }} />
            <YAxis tick={{ fontSize: 10 }} width={44} domain={[lo, hi]} tickFormatter={(v) => `${Math.round(100 * v)}%`} />
            <Tooltip formatter={(v) => percent(Number(v))} labelFormatter={(s) => `step ${s}`} />
            {/* Labels at opposite ends: the two lines are often a point apart. */}
            <ReferenceLine
              y={lines.pixels}
              stroke={PIXELS}
              strokeDasharray="6 3"
              label={{ value: 'pixels', position: 'insideTopLeft', fontSize: 10, fill: PIXELS }}
            />
            <ReferenceLine
              y={lines.random}
              stroke={RANDOM}
              strokeDasharray="2 3"
              label={{ value: 'random init', position: 'insideBottomRight', fontSize: 10, fill: RANDOM }}
            />
            <Line dataKey="top1" name="trained" stroke="#111827" dot={{ r: 2 }} isAnimationActive={false} strokeWidth={1.5} />
          </LineChart>
        </ResponsiveContainer>
      }
    />
  );
}
