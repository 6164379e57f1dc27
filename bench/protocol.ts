// The learning target's protocol in a real browser (docs/recipes.md): for each dataset and seed,
// open the studio with the defaults, load the data (the Sample button, or a class-per-folder
// upload), set the budget field beside Train, press Train, wait for the end, press k-NN and
// Linear probe, and read trained / random init / raw pixels off the result tables. Not a test:
// each run takes the budget plus a minute.
//   npm run build && npx tsx bench/protocol.ts minutes=10 seeds=0,1,2 data=sample,/tmp/fashion-b [hash=...] [gpu=none]
// A folder is one subfolder per class of images (tools/fashion-folder.ts, tools/emoji-dataset.py).
// One JSON line per run goes to `out` (default bench/results/protocol.jsonl); a table at the end.
import { chromium, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { CHROMIUM_ARGS, CPU_ONLY_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';
import { benchArgs } from './args';

const args = benchArgs();
const minutes = Number(args.minutes ?? 10);
const seeds = (args.seeds ?? '0').split(',').map(Number);
const datasets = (args.data ?? 'sample').split(',');
const out = args.out ?? 'bench/results/protocol.jsonl';
const extra = args.hash ?? '';
// gpu=none: Chrome as on a machine without a GPU (test/chromium.ts CPU_ONLY_ARGS).
const launchArgs = args.gpu === 'none' ? CPU_ONLY_ARGS : CHROMIUM_ARGS;

type Rows = Record<'trained' | 'random init' | 'raw pixels', number>;
async function table(page: Page, kind: 'knn' | 'probe'): Promise<Rows> {
  await page.getByTestId(`${kind}-run`).click();
  const t = page.getByTestId(`${kind}-accuracy`);
  await t.waitFor({ timeout: 600_000 });
  const rows = await t
    .locator('tr[data-row]')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), Number(tr.getAttribute('data-top1'))] as const));
  return Object.fromEntries(rows.map(([k, v]) => [k, 100 * v])) as Rows;
}

const server = await startPreview();
const results: { data: string; seed: number; knn: Rows; probe: Rows; epochs: number; seconds: number; features: string }[] = [];
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: launchArgs });
  for (const data of datasets) {
    for (const seed of seeds) {
      const context = await browser.newContext(); // fresh storage: no stored runs, no cached ranking
      const page = await context.newPage();
      page.on('pageerror', (e) => console.log('page error:', e.message));
      await page.goto(`${server.url}/#seed=${seed}${extra ? `&${extra}` : ''}`);
      // Data loads at once; Train waits below for the backend (auto times every backend).
      await page.waitForFunction(
        () => !(document.querySelector('[data-testid=sample-dataset]') as HTMLButtonElement | null)?.disabled,
        null,
        { timeout: 300_000 },
      );
      if (data === 'sample') await page.getByTestId('sample-dataset').click();
      else await page.getByTestId('folder-input').setInputFiles(data);
      await page.getByTestId('dataset-summary').waitFor({ timeout: 300_000 });
      await page.waitForFunction(() => !(document.querySelector('[data-testid=train-start]') as HTMLButtonElement | null)?.disabled, null, {
        timeout: 300_000,
      });
      const budget = page.getByTestId('train-budget');
      await budget.fill(String(minutes));
      await budget.press('Enter');
      const summary = await page.getByTestId('dataset-summary').textContent();
      const t0 = Date.now();
      await page.getByTestId('train-start').click();
      await page
        .getByTestId('run-state')
        .filter({ hasText: /^(done|failed|stopped)$/ })
        .waitFor({ timeout: (minutes * 60 + 600) * 1000 });
      const seconds = (Date.now() - t0) / 1000;
      const plan = (await page.getByTestId('budget-plan').textContent()) ?? '';
      const epochs = Number(/→ (\d+) epochs/.exec(plan)?.[1]);
      const knn = await table(page, 'knn');
      const probe = await table(page, 'probe');
      const features = ((await page.getByTestId('knn-accuracy').locator('caption').textContent()) ?? '').replace(
        /.*features: ([^,]+(, [^,]+ (grid|pool))?).*/,
        '$1',
      );
      const r = { data, seed, knn, probe, epochs, seconds: Math.round(seconds), features };
      results.push(r);
      appendFileSync(out, `${JSON.stringify({ ...r, minutes, hash: extra, summary, at: new Date().toISOString() })}\n`);
      console.log(
        `${data} seed ${seed}: ${epochs} epochs in ${r.seconds} s; k-NN ${knn.trained.toFixed(1)} / ${knn['random init'].toFixed(1)} / ${knn['raw pixels'].toFixed(1)}, probe ${probe.trained.toFixed(1)} / ${probe['random init'].toFixed(1)} / ${probe['raw pixels'].toFixed(1)} (${features})`,
      );
      await context.close();
    }
  }
  await browser.close();
} finally {
  await server.stop();
}

const ms = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return `${m.toFixed(1)} ± ${(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(v.length - 1, 1))).toFixed(1)}`;
};
console.log(
  `\n| data | runs | k-NN trained | random init | raw pixels | probe trained | random init | raw pixels |\n|---|---|---|---|---|---|---|---|`,
);
for (const data of datasets) {
  const rs = results.filter((r) => r.data === data);
  const col = (m: 'knn' | 'probe', k: keyof Rows) => ms(rs.map((r) => r[m][k]));
  console.log(
    `| ${data} | ${rs.length} | ${col('knn', 'trained')} | ${col('knn', 'random init')} | ${col('knn', 'raw pixels')} | ${col('probe', 'trained')} | ${col('probe', 'random init')} | ${col('probe', 'raw pixels')} |`,
  );
}
