// The learning target's table (docs/recipes.md, section 3) from the JSON lines that
// bench/protocol.ts appends: per dataset, mean ± sample standard deviation over its runs of
// trained / random init / raw pixels for k-NN and the probe, the margins the target asks for, and
// how much of the budget the runs used.
//   npx tsx bench/protocol-table.ts bench/results/protocol-10min.jsonl
import { readFileSync } from 'node:fs';
import { meanSd } from '../workers/eval/intervals';

type Rows = Record<'trained' | 'random init' | 'raw pixels', number>;
interface Run {
  data: string;
  seed: number;
  knn: Rows;
  probe: Rows;
  epochs: number;
  seconds: number;
  minutes: number;
}

const file = process.argv[2] ?? 'bench/results/protocol-10min.jsonl';
const runs = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Run);

/** "mean ± sd" with the sample standard deviation (n − 1); one run shows its value alone. */
function fmtMeanSd(v: number[], digits = 1): string {
  const { mean, sd } = meanSd(v);
  return v.length < 2 ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

const name = (d: string) =>
  d === 'sample'
    ? 'sample'
    : d
        .replace(/\/png$/, '')
        .split('/')
        .pop()!;
const groups = new Map<string, Run[]>();
for (const r of runs) groups.set(name(r.data), [...(groups.get(name(r.data)) ?? []), r]);

console.log(
  '| data | seeds | epochs | budget used | k-NN trained / random / pixels | k-NN − pixels | k-NN − random | probe trained / random / pixels |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [data, rs] of groups) {
  const col = (m: 'knn' | 'probe') =>
    (['trained', 'random init', 'raw pixels'] as const).map((k) => fmtMeanSd(rs.map((r) => r[m][k]))).join(' / ');
  const margin = (k: 'raw pixels' | 'random init') => fmtMeanSd(rs.map((r) => r.knn.trained - r.knn[k]));
  const used = fmtMeanSd(
    rs.map((r) => (100 * r.seconds) / (60 * r.minutes)),
    0,
  );
  console.log(
    `| ${data} | ${rs.map((r) => r.seed).join(', ')} | ${rs.map((r) => r.epochs).join(', ')} | ${used}% | ${col('knn')} | ${margin('raw pixels')} | ${margin('random init')} | ${col('probe')} |`,
  );
}
