// What a line chart says, in words and as a table, for those who cannot see the curve (WCAG 2.2
// 1.1.1 non-text content; the W3C WAI "Complex images" tutorial: a short description plus the
// data as a table). Every chart (Charts.tsx, KnnChart.tsx, compare/ComparePanel.tsx) takes its
// name from its caption, its description from `summarize`, and a "table" button that lists the
// points it plots; the SVG itself is hidden from assistive technology.
import { type ReactNode, type Ref, useId, useState } from 'react';

export interface TextSeries {
  label: string;
  /** The points of the series as plotted, in x order. */
  points: { x: number; y: number }[];
}

/** Over the series, first to last: "rising" or "falling" where the mean of the last tenth of the
 *  points differs from the mean of the first tenth by more than a tenth of the range, else "flat". */
export function trend(ys: number[]): 'rising' | 'falling' | 'flat' {
  const tenth = Math.max(1, Math.floor(ys.length / 10));
  const mean = (part: number[]) => part.reduce((a, y) => a + y, 0) / part.length;
  const head = mean(ys.slice(0, tenth));
  const tail = mean(ys.slice(-tenth));
  const range = Math.max(...ys) - Math.min(...ys);
  if (!(range > 0) || Math.abs(tail - head) <= range / 10) return 'flat';
  return tail > head ? 'rising' : 'falling';
}

/** One sentence per series: "loss 2.31 at step 0 to 1.05 at step 120 (min 1.02, max 2.40), falling." */
export function summarize(series: TextSeries[], fmt: (v: number) => string, xName = 'step'): string {
  const parts = series.flatMap(({ label, points }) => {
    const ys = points.map((p) => p.y).filter(Number.isFinite);
    if (ys.length === 0) return [];
    const finite = points.filter((p) => Number.isFinite(p.y));
    const [first, last] = [finite[0], finite[finite.length - 1]];
    if (ys.length === 1) return [`${label} ${fmt(first.y)} at ${xName} ${first.x}.`];
    return [
      `${label} ${fmt(first.y)} at ${xName} ${first.x} to ${fmt(last.y)} at ${xName} ${last.x} ` +
        `(min ${fmt(Math.min(...ys))}, max ${fmt(Math.max(...ys))}), ${trend(ys)}.`,
    ];
  });
  return parts.length ? parts.join(' ') : 'No points yet.';
}

/** The most rows a chart's table shows: the points plotted, thinned to this many. */
export const TABLE_ROWS = 400;

/**
 * A chart's figure: labelled by its caption, described by its summary, with the plot hidden from
 * assistive technology (its numbers are in the summary and the table) and a button that shows
 * the plotted points as a table. `rows` are what the plot draws: x first, then one value per column.
 */
export function ChartFigure({
  name,
  caption,
  summary,
  columns,
  rows,
  total = rows.length,
  fmt,
  plot,
  legend,
  className = 'chart',
  title,
  figureRef,
  ...attrs
}: {
  /** The chart's title in words, for the table's caption. */
  name: string;
  /** What the figure is labelled by: the title, and the latest value where it shows one. */
  caption: ReactNode;
  summary: string;
  /** Header of each column: the x axis first. */
  columns: string[];
  rows: (number | undefined)[][];
  /** How many points the plot draws, where the table shows fewer. */
  total?: number;
  fmt: (v: number) => string;
  plot: ReactNode;
  legend?: ReactNode;
  className?: string;
  title?: string;
  figureRef?: Ref<HTMLElement>;
} & Partial<Record<`data-${string}`, string | number>>) {
  const id = useId();
  const [open, setOpen] = useState(false);
  return (
    <figure
      ref={figureRef}
      className={className}
      title={title}
      aria-labelledby={`${id}-caption`}
      aria-describedby={`${id}-summary`}
      {...attrs}
    >
      <figcaption id={`${id}-caption`}>{caption}</figcaption>
      {legend}
      <p className="visually-hidden" id={`${id}-summary`} data-testid="chart-summary">
        {summary}
      </p>
      <div className="chart-plot" aria-hidden="true">
        {plot}
      </div>
      <button
        type="button"
        className="chart-table-toggle"
        aria-expanded={open}
        aria-controls={`${id}-table`}
        data-testid="chart-table-toggle"
        onClick={() => setOpen(!open)}
      >
        {open ? 'hide table' : 'table'}
      </button>
      <div id={`${id}-table`} className="chart-table" hidden={!open}>
        {open && (
          <table data-testid="chart-table">
            <caption>
              {name}: {rows.length < total ? `${rows.length} of the ${total}` : `the ${total}`} points plotted
            </caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {r.map((v, j) =>
                    j === 0 ? (
                      <th scope="row" key={j}>
                        {v}
                      </th>
                    ) : (
                      <td key={j}>{v === undefined ? '' : fmt(v)}</td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </figure>
  );
}
