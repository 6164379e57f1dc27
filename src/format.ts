// How the panels write durations, sizes and shares, one way each across the studio.
import { wilson } from '../workers/eval/intervals';

/** "1 h 02 min", "3 min 05 s", "12 s"; "–" for no time (an ETA before there is a pace). */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
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

/** Remaining time of a task that counts done of total since startedMs (an ingest, an evaluation). */
export const taskEta = (p: { done: number; total: number; startedMs: number }, now: number): number | null =>
  eta({ ms: p.startedMs, step: 0 }, p.done, p.total, now);

/** Keeps at most `max` evenly spaced points (always the last), so charts stay fast on long runs. */
export function downsample<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const stride = rows.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(rows[Math.floor(i * stride)]);
  out.push(rows[rows.length - 1]);
  return out;
}

/** Stored bytes (datasets, checkpoints, the origin's quota), in decimal units as browsers and
 *  operating systems show disk use: "1.2 GB", "3.4 MB", "56 kB" (at least 1 kB). */
export const formatBytes = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`;

/** Memory (tensors, the WASM heap, the model card's estimates), in binary units as the backend
 *  limits it is held against are: "1.50 GiB", "12.3 MiB". */
export const formatMemory = (b: number): string => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** An accuracy or share: "87.5%", or "–" where there is none. */
export const percent = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

export { featuresLabel } from '../workers/contract/labels';

/** A top-1 with its 95% Wilson interval over the n test images it was measured on: "83.3 (79.4–86.6)";
 *  the bare figure where n is unknown (results stored before n was). */
export function top1WithInterval(top1: number | undefined, n: number | undefined): string {
  if (top1 === undefined) return '–';
  if (!n) return (100 * top1).toFixed(1);
  const w = wilson(Math.round(top1 * n), n);
  return `${(100 * top1).toFixed(1)} (${(100 * w.lo).toFixed(1)}–${(100 * w.hi).toFixed(1)})`;
}
