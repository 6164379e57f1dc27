// "Was self-supervised pretraining worth it?" on the sample, in a real browser: train the default
// recipe with a time budget, then the linear probe (trained / random init / raw pixels), the
// fine-tune and the supervised-from-scratch baselines, each timed from its click to its table.
// Prints the five-row table per seed, each top-1 with its 95% Wilson interval and each row against
// VICReg's probe with its paired bootstrap interval (the page's own cells), then mean ± sd over the
// seeds. Not a test: it takes about three budgets per seed.
// baselineEpochs=0 (the studio's default) gives fine-tune and supervised the run's own training time.
//   npm run build && npx tsx bench/baselines.ts [minutes=10] [baselineEpochs=0] [seeds=0] (seeds=0,1,2)
import { chromium, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';
import { benchArgs } from './args';
import { meanSd } from '../workers/eval/intervals';

const args = benchArgs();
const minutes = Number(args.minutes ?? 10);
const epochs = Number(args.baselineEpochs ?? 0);
const seeds = (args.seeds ?? args.seed ?? '0').split(',').map(Number);
const out = args.out ?? 'bench/results/baselines.jsonl';

/** One row of a result table as the page shows it: top-1 and its Wilson interval (%), and where the
 *  table pairs it with VICReg's probe, the difference VICReg − row and its paired interval (points). */
interface Row {
  top1: number;
  lo: number;
  hi: number;
  diff?: { d: number; lo: number; hi: number; verdict: string };
}
type Table = { rows: Record<string, Row>; seconds: number; cost?: { epochs: number; steps: number; seconds: number } };

/** Clicks `kind`'s button and reads its table, its cost line and the seconds it took. */
async function evaluate(page: Page, kind: string): Promise<Table> {
  const t0 = Date.now();
  await page.getByTestId(`${kind}-run`).click();
  await page.getByTestId(`${kind}-run`).waitFor({ state: 'attached' });
  await page.waitForFunction(
    (k) => {
      const b = document.querySelector(`[data-testid=${k}-run]`) as HTMLButtonElement | null;
      const failed = document.querySelector(`[data-testid=${k}-error]`);
      return (failed || document.querySelector(`[data-testid=${k}-accuracy]`)) && !!b && !b.disabled;
    },
    kind,
    { timeout: 3_600_000, polling: 500 },
  );
  const failed = page.getByTestId(`${kind}-error`);
  if ((await failed.count()) > 0) throw new Error(`${kind} failed: ${await failed.textContent()}`);
  const seconds = (Date.now() - t0) / 1000;
  console.log(`${kind}: ${seconds.toFixed(0)} s`);
  // Raw attributes from the page, numbers here: a function defined inside the page callback would
  // need tsx's __name helper, which the page does not have.
  const raw = await page
    .getByTestId(`${kind}-accuracy`)
    .locator('tr[data-row]')
    .evaluateAll((trs) =>
      trs.map((tr) => {
        const w = tr.querySelector('[data-testid=top1-interval]');
        const p = tr.querySelector('[data-testid=paired-difference]');
        return [
          tr.getAttribute('data-row'),
          tr.getAttribute('data-top1'),
          w?.getAttribute('data-lo'),
          w?.getAttribute('data-hi'),
          p?.getAttribute('data-diff'),
          p?.getAttribute('data-lo'),
          p?.getAttribute('data-hi'),
          p?.getAttribute('data-verdict'),
        ];
      }),
    );
  const pct = (v: string | null | undefined) => 100 * Number(v);
  const rows = raw.map(([name, top1, lo, hi, d, dlo, dhi, verdict]): [string, Row] => [
    name ?? '',
    {
      top1: pct(top1),
      lo: pct(lo),
      hi: pct(hi),
      diff: d ? { d: pct(d), lo: pct(dlo), hi: pct(dhi), verdict: verdict ?? '' } : undefined,
    },
  ]);
  const costEl = page.getByTestId(`${kind}-cost`);
  const cost =
    (await costEl.count()) > 0
      ? await costEl.evaluate((el) => ({
          epochs: Number(el.getAttribute('data-epochs')),
          steps: Number(el.getAttribute('data-steps')),
          seconds: Number(el.getAttribute('data-seconds')),
        }))
      : undefined;
  return { rows: Object.fromEntries(rows), seconds, cost };
}

const fmt = (r: Row) => `${r.top1.toFixed(1)} (${r.lo.toFixed(1)}–${r.hi.toFixed(1)})`;
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
const fmtDiff = (r: Row) => (r.diff ? `${signed(r.diff.d)} (${signed(r.diff.lo)} to ${signed(r.diff.hi)}): ${r.diff.verdict}` : '–');
const fmtMeanSd = (xs: number[]) => {
  const { mean, sd } = meanSd(xs);
  return `${mean.toFixed(1)} ± ${sd.toFixed(1)}`;
};

type Five = { name: string; row: Row; cost: string }[];

/** One seed: train with the budget, then the three evaluations, in a fresh browser. */
async function oneSeed(url: string, seed: number): Promise<Five> {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => console.log('page error:', e.message));
    await page.goto(`${url}/#backend=wasm&seed=${seed}&baselineEpochs=${epochs}`);
    await page.getByTestId('sample-dataset').click();
    await page.getByTestId('dataset-summary').waitFor({ timeout: 300_000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid=train-start]') as HTMLButtonElement | null)?.disabled, null, {
      timeout: 300_000,
    });
    await page.getByTestId('train-budget').fill(String(minutes));
    await page.getByTestId('train-budget').press('Enter');
    const t0 = Date.now();
    console.log(`seed ${seed}: training…`);
    await page.getByTestId('train-start').click();
    // A heartbeat, so a stall shows in the log instead of as silence.
    const beat = setInterval(() => {
      void page
        .getByTestId('step')
        .textContent({ timeout: 5000 })
        .then(
          (s) => console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: step ${s}`),
          () => {},
        );
    }, 60_000);
    await page
      .getByTestId('run-state')
      .filter({ hasText: /^(done|failed|stopped)$/ })
      .waitFor({ timeout: (minutes * 60 + 600) * 1000 });
    clearInterval(beat);
    const trainSeconds = (Date.now() - t0) / 1000;
    const steps = await page.getByTestId('step').textContent();
    console.log(`trained: ${await page.getByTestId('run-state').textContent()} at step ${steps} in ${trainSeconds.toFixed(0)} s`);
    const probe = await evaluate(page, 'probe');
    const finetune = await evaluate(page, 'finetune');
    const supervised = await evaluate(page, 'supervised');
    appendFileSync(
      out,
      JSON.stringify({ at: new Date().toISOString(), seed, minutes, baselineEpochs: epochs, trainSeconds, probe, finetune, supervised }) +
        '\n',
    );
    // What each row cost: the run's training where the row needs it, then its own (the probe embeds
    // and fits its three rows in one go: its time is shared by them).
    const own = (t: Table) =>
      t.cost ? `${t.cost.epochs} ep, ${t.cost.steps} steps, ${t.cost.seconds.toFixed(0)} s` : `${t.seconds.toFixed(0)} s`;
    const five: Five = [
      {
        name: 'VICReg + linear probe',
        row: probe.rows.trained,
        cost: `${trainSeconds.toFixed(0)} s (${steps} steps) + ${probe.seconds.toFixed(0)} s probe`,
      },
      { name: 'fine-tune (LP-FT, VICReg init)', row: finetune.rows['fine-tune'], cost: `${trainSeconds.toFixed(0)} s + ${own(finetune)}` },
      { name: 'supervised from scratch', row: supervised.rows.supervised, cost: own(supervised) },
      { name: 'random init + linear probe', row: probe.rows['random init'], cost: "in the probe's time" },
      { name: 'raw pixels + linear probe', row: probe.rows['raw pixels'], cost: "in the probe's time" },
    ];
    console.log(
      `\nsample, seed ${seed}: default recipe, ${minutes} min budget, baselines ${epochs === 0 ? 'for the same time as the run' : `${epochs} epochs`}; WASM`,
    );
    console.log('| row | top-1 % (95% Wilson) | VICReg probe − row (paired 95%) | cost |\n|---|---|---|---|');
    for (const f of five) console.log(`| ${f.name} | ${fmt(f.row)} | ${fmtDiff(f.row)} | ${f.cost} |`);
    const ft = five[1].row;
    const ok = ft.diff ? ft.diff.lo <= 0 || ft.top1 >= five[0].row.top1 - (five[0].row.top1 - five[0].row.lo) : undefined;
    console.log(`fine-tune ≥ probe − interval: ${ok === undefined ? 'not paired' : ok ? 'yes' : 'NO'}`);
    return five;
  } finally {
    await browser.close();
  }
}

const server = await startPreview();
try {
  const all: Five[] = [];
  for (const seed of seeds) all.push(await oneSeed(server.url, seed));
  if (all.length > 1) {
    console.log(`\nsample, seeds ${seeds.join(', ')}: mean ± sd over seeds (each seed its own split)`);
    console.log('| row | top-1 % | VICReg probe − row |\n|---|---|---|');
    for (let i = 0; i < all[0].length; i++) {
      const rows = all.map((f) => f[i].row);
      const diffs = rows.flatMap((r) => (r.diff ? [r.diff.d] : []));
      console.log(
        `| ${all[0][i].name} | ${fmtMeanSd(rows.map((r) => r.top1))} | ${diffs.length === rows.length ? fmtMeanSd(diffs) : '–'} |`,
      );
    }
  }
} finally {
  await server.stop();
}
