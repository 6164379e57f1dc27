// What the panels show of work in progress (a run, an ingest, an evaluation): the bar, and a clock
// for the ETAs that count down between the worker's reports.
import { useEffect, useState } from 'react';
import { formatDuration, taskEta } from './format';

/** How far a task of the worker is (an evaluation, the feature map, the embeddings' map and
 *  curation): reports counted since startedMs, for the ETA; `phase` when it has several, each
 *  with its own bar and clock. */
export interface TaskProgressState {
  done: number;
  total: number;
  startedMs: number;
  phase?: string;
}

/** performance.now(), read again every `everyMs` while `on`. */
export function useNow(everyMs: number, on = true): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => setNow(performance.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs, on]);
  return now;
}

export function ProgressBar({ done, total }: { done: number; total: number }) {
  return (
    <div className="bar">
      <div style={{ width: `${total ? (100 * done) / total : 0}%` }} />
    </div>
  );
}

/** An evaluation, the map or the embeddings on their way: how far, about how long is left, and Cancel. */
export function TaskProgress({
  testId,
  title,
  progress: p,
  onCancel,
}: {
  testId: string;
  title: string;
  progress: TaskProgressState;
  onCancel: () => void;
}) {
  // Redrawn with each progress report, which is often enough for the ETA.
  const remaining = taskEta(p, performance.now());
  return (
    <div className="progress" data-testid={testId}>
      <ProgressBar done={p.done} total={p.total} />
      <div className="numbers">
        <span data-phase={p.phase}>
          {title}
          {p.phase ? ` (${p.phase})` : ''}: {Math.round((100 * p.done) / p.total)}%
        </span>
        <span>ETA {formatDuration(remaining)}</span>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}
