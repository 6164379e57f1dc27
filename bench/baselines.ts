// "Was self-supervised pretraining worth it?" on the sample, in a real browser: train the default
// recipe with a time budget, then the linear probe (trained / random init / raw pixels), the
// fine-tune and the supervised-from-scratch baselines, each timed from its click to its table.
// Prints the five-row table. Not a test: it takes the budget plus a few minutes.
// baselineEpochs=0 (the studio's default) gives fine-tune and supervised the run's own training time.
//   npm run build && npx tsx bench/baselines.ts [minutes=10] [baselineEpochs=0] [seed=0]
import { chromium, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';
import { benchArgs } from './args';

const args = benchArgs();
const minutes = Number(args.minutes ?? 10);
const epochs = Number(args.baselineEpochs ?? 0);
const seed = Number(args.seed ?? 0);
const out = args.out ?? 'bench/results/baselines.jsonl';

/** Clicks `kind`'s button and reads its table: { row: top-1 % }, and the seconds it took. */
async function evaluate(page: Page, kind: string): Promise<{ rows: Record<string, number>; seconds: number }> {
  const t0 = Date.now();
  await page.getByTestId(`${kind}-run`).click();
  await page.getByTestId(`${kind}-run`).waitFor({ state: 'attached' });
  await page.waitForFunction(
    (k) => {
      const b = document.querySelector(`[data-testid=${k}-run]`) as HTMLButtonElement | null;
      return !!document.querySelector(`[data-testid=${k}-accuracy]`) && !!b && !b.disabled;
    },
    kind,
    { timeout: 3_600_000, polling: 500 },
  );
  const seconds = (Date.now() - t0) / 1000;
  console.log(`${kind}: ${seconds.toFixed(0)} s`);
  const rows = await page
    .getByTestId(`${kind}-accuracy`)
    .locator('tr[data-row]')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), 100 * Number(tr.getAttribute('data-top1'))] as const));
  return { rows: Object.fromEntries(rows), seconds };
}

const server = await startPreview();
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(`${server.url}/#backend=wasm&seed=${seed}&baselineEpochs=${epochs}`);
  await page.getByTestId('sample-dataset').click();
  await page.getByTestId('dataset-summary').waitFor({ timeout: 300_000 });
  await page.waitForFunction(() => !(document.querySelector('[data-testid=train-start]') as HTMLButtonElement | null)?.disabled, null, {
    timeout: 300_000,
  });
  await page.getByTestId('train-budget').fill(String(minutes));
  await page.getByTestId('train-budget').press('Enter');
  const t0 = Date.now();
  console.log('training…');
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
  console.log(
    `trained: ${await page.getByTestId('run-state').textContent()} at step ${await page.getByTestId('step').textContent()} in ${trainSeconds.toFixed(0)} s`,
  );
  const probe = await evaluate(page, 'probe');
  const finetune = await evaluate(page, 'finetune');
  const supervised = await evaluate(page, 'supervised');
  await browser.close();
  // Time each row costs a user: the run's training where the row needs it, then its evaluation
  // (the probe embeds and fits its three rows in one go: its time is shared by them).
  const table = [
    ['VICReg + linear probe', probe.rows.trained, `${trainSeconds.toFixed(0)} + ${probe.seconds.toFixed(0)} (probe, all three rows)`],
    ['fine-tune (VICReg init)', finetune.rows['fine-tune'], `${trainSeconds.toFixed(0)} + ${finetune.seconds.toFixed(0)}`],
    ['supervised from scratch', supervised.rows.supervised, `${supervised.seconds.toFixed(0)}`],
    ['random init + linear probe', probe.rows['random init'], "in the probe's time"],
    ['raw pixels + linear probe', probe.rows['raw pixels'], "in the probe's time"],
  ] as const;
  console.log(
    `\nsample, seed ${seed}: default recipe, ${minutes} min budget, baselines ${epochs === 0 ? 'for the same time as the run' : `${epochs} epochs`}; WASM`,
  );
  console.log('| row | top-1 % | seconds |\n|---|---|---|');
  for (const [name, top1, s] of table) console.log(`| ${name} | ${top1.toFixed(1)} | ${s} |`);
  appendFileSync(
    out,
    JSON.stringify({ at: new Date().toISOString(), seed, minutes, baselineEpochs: epochs, trainSeconds, probe, finetune, supervised }) +
      '\n',
  );
} finally {
  await server.stop();
}
