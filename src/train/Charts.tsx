import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricRecord } from '../../workers/contract/api';
import { useStore } from '../store';
import { downsample } from './format';

type Key = keyof MetricRecord;
const CHARTS: { id: string; title: string; keys: Key[]; colors: string[] }[] = [
  { id: 'chart-loss', title: 'Loss', keys: ['loss'], colors: ['#111827'] },
  { id: 'chart-invariance', title: 'Invariance (MSE between views)', keys: ['invariance'], colors: ['#2563eb'] },
  { id: 'chart-variance', title: 'Variance (std hinge)', keys: ['variance'], colors: ['#d97706'] },
  { id: 'chart-covariance', title: 'Covariance (off-diagonal)', keys: ['covariance'], colors: ['#059669'] },
  { id: 'chart-gamma', title: 'Target gammaT', keys: ['gammaT'], colors: ['#7c3aed'] },
  { id: 'chart-lr', title: 'Learning rate', keys: ['lr'], colors: ['#db2777'] },
  { id: 'chart-speed', title: 'Images / s', keys: ['imagesPerSec'], colors: ['#475569'] },
];

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

export function Charts() {
  const metrics = useStore((s) => s.metrics);
  const data = useMemo(() => downsample(metrics, 400), [metrics]);
  return (
    <div className="charts">
      {CHARTS.map((c) => (
        <figure key={c.id} className="chart" data-testid={c.id} data-points={metrics.length}>
          <figcaption>
            {c.title}
            {metrics.length > 0 && <span className="last">{fmt(metrics[metrics.length - 1][c.keys[0]])}</span>}
          </figcaption>
          <ResponsiveContainer width="100%" height={150}>
            <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
              <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 10 }} />
              <YAxis tick={{ fontSize: 10 }} width={44} tickFormatter={fmt} domain={['auto', 'auto']} />
              <Tooltip formatter={(v) => fmt(Number(v))} labelFormatter={(s) => `step ${s}`} />
              {c.keys.map((k, i) => (
                <Line key={k} dataKey={k} stroke={c.colors[i]} dot={false} isAnimationActive={false} strokeWidth={1.5} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </figure>
      ))}
    </div>
  );
}
