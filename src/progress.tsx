// What the panels show of work in progress (a run, an ingest, an evaluation): the bar, and a clock
// for the ETAs that count down between the worker's reports.
import { useEffect, useState } from 'react';

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
