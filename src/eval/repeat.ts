// "Repeat over seeds": the run trained and evaluated again under N seeds (each also draws its own
// split), reported as mean ± standard deviation over the seeds, as docs/recipes.md's protocol
// reports: one run's top-1 moves by a few points with the seed alone, more than most differences
// between settings.
import type { EvalRowName } from '../../workers/contract/api';
import { meanSd } from '../../workers/eval/intervals';

export const REPEAT_KINDS = ['knn', 'probe'] as const;
export type RepeatKind = (typeof REPEAT_KINDS)[number];

/** One seed's results: the run's last step, and top-1 per evaluation and row. */
export interface SeedResult {
  seed: number;
  step: number;
  top1: Record<RepeatKind, Partial<Record<EvalRowName, number>>>;
}

export interface SummaryRow {
  label: string;
  values: (number | undefined)[]; // per seed
  mean: number;
  sd: number;
}

/** The table: each evaluation's rows, then VICReg's lead over each baseline row, per seed and mean ± sd. */
export function summarize(results: SeedResult[]): SummaryRow[] {
  const out: SummaryRow[] = [];
  const add = (label: string, values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    if (known.length) out.push({ label, values, ...meanSd(known) });
  };
  for (const kind of REPEAT_KINDS) {
    const name = kind === 'knn' ? 'k-NN' : 'probe';
    for (const row of ['trained', 'random init', 'raw pixels'] as const)
      add(
        `${name}: ${row === 'trained' ? 'VICReg' : row}`,
        results.map((r) => r.top1[kind][row]),
      );
    for (const row of ['random init', 'raw pixels'] as const)
      add(
        `${name}: VICReg − ${row}`,
        results.map((r) => {
          const [a, b] = [r.top1[kind].trained, r.top1[kind][row]];
          return a === undefined || b === undefined ? undefined : a - b;
        }),
      );
  }
  return out;
}
