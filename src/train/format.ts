/** "1 h 02 min", "3 min 05 s", "12 s" */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Remaining time from the pace since the anchor; null until there is a pace to go by. */
export function eta(anchor: { ms: number; step: number } | null, step: number, total: number, now: number): number | null {
  if (!anchor || step <= anchor.step) return null;
  return ((now - anchor.ms) / (step - anchor.step)) * (total - step);
}

/** Keeps at most `max` evenly spaced points (always the last), so charts stay fast on long runs. */
export function downsample<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const stride = rows.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(rows[Math.floor(i * stride)]);
  out.push(rows[rows.length - 1]);
  return out;
}

export { featuresLabel } from '../../workers/contract/labels';
