// Every accuracy the page shows carries its 95% interval, and a tie planted on purpose reads
// "within noise". The plant: baseLr = 0 leaves the trained weights exactly at their init (the same
// seed builds the random-init row), and BatchNorm adaptation over the same seeded batches brings
// both encoders' running statistics to the same values (momentum 0.1 a batch: 0.9^100 of where each
// started is left), so the "trained" and "random init" rows are one encoder and must not be told
// apart, by k-NN or by the probe.
import { expect, test } from './fixtures';
import { openWithSample, TINY } from './helpers';

test('every accuracy has its interval; a planted tie between trained and random init reads within noise', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&baseLr=0&bnAdaptSteps=100&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  for (const kind of ['knn', 'probe']) {
    await page.getByTestId(`${kind}-run`).click();
    const table = page.getByTestId(`${kind}-accuracy`);
    await expect(table).toContainText('on 400 test images', { timeout: 120_000 });
    // An interval in every row, around its top-1.
    const rows = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const w = tr.querySelector('[data-testid=top1-interval]');
        return [tr.getAttribute('data-row'), tr.getAttribute('data-top1'), w?.getAttribute('data-lo'), w?.getAttribute('data-hi')];
      }),
    );
    expect(rows.map((r) => r[0])).toEqual(['trained', 'random init', 'raw pixels']);
    for (const [name, top1, lo, hi] of rows) {
      expect(Number(lo), `${kind} ${name}`).toBeLessThan(Number(top1));
      expect(Number(hi), `${kind} ${name}`).toBeGreaterThan(Number(top1));
    }
    // The planted tie: the same encoder twice.
    const tie = table.locator('tr[data-row="random init"]').getByTestId('paired-difference');
    const [diff, lo, hi] = await Promise.all(['data-diff', 'data-lo', 'data-hi'].map(async (a) => Number(await tie.getAttribute(a))));
    console.log(`${kind}: trained − random init = ${(100 * diff).toFixed(2)} (${(100 * lo).toFixed(2)} to ${(100 * hi).toFixed(2)})`);
    expect(Math.abs(diff)).toBeLessThan(0.01);
    expect(lo).toBeLessThanOrEqual(0);
    expect(hi).toBeGreaterThanOrEqual(0);
    await expect(tie).toHaveAttribute('data-verdict', 'within noise');
    await expect(tie).toContainText('within noise');
    await expect(tie).not.toContainText('VICReg higher');
  }
  // The stored results carry the interval as well.
  const step = await page.getByTestId('step').textContent();
  const stored = page.locator(`[data-testid=checkpoint][data-step="${step}"]`).getByTestId('checkpoint-results');
  await expect(stored).toContainText(/k-NN \d+\.\d \(\d+\.\d–\d+\.\d\)/);
  await expect(stored).toContainText(/probe \d+\.\d \(\d+\.\d–\d+\.\d\)/);
});

test('repeat over seeds trains and evaluates each seed and gives mean ± sd, then puts the seed back', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&seed=5&backend=wasm`, 'wasm');
  await page.getByTestId('repeat-n').fill('2');
  await expect(page.getByTestId('repeat-status')).toContainText('seeds 5 to 6');
  await page.getByTestId('repeat-run').click();
  const table = page.getByTestId('repeat-table');
  await expect(table).toHaveAttribute('data-seeds', '2', { timeout: 300_000 });
  await expect(page.getByTestId('repeat-status')).toHaveText('2 seeds done');
  await expect(table.locator('thead th')).toHaveText(['row', 'seed 5', 'seed 6', 'mean ± sd']);
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-row'),
        Number(tr.getAttribute('data-mean')),
        Number(tr.getAttribute('data-sd')),
        tr.textContent,
      ]),
    );
  console.log('repeat over seeds:', rows.map((r) => r[3]).join(' | '));
  expect(rows.map((r) => r[0])).toEqual([
    'k-NN: VICReg',
    'k-NN: random init',
    'k-NN: raw pixels',
    'k-NN: VICReg − random init',
    'k-NN: VICReg − raw pixels',
    'probe: VICReg',
    'probe: random init',
    'probe: raw pixels',
    'probe: VICReg − random init',
    'probe: VICReg − raw pixels',
  ]);
  for (const [label, mean, sd, text] of rows) {
    expect(Number.isFinite(mean), String(label)).toBe(true);
    expect(sd as number).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^.+?(−?\+?\d+\.\d){2}[+−]?\d+\.\d ± \d+\.\d$/);
  }
  // Two seeds, two splits: the raw pixels differ only by the split, so they moved.
  expect(rows.find((r) => r[0] === 'k-NN: raw pixels')![2]).toBeGreaterThan(0);
  // The page's own seed is back, with its split.
  await expect(page.getByTestId('config-seed')).toHaveValue('5');
  await expect(page.locator('[data-testid=checkpoint-run]')).toHaveCount(2);
});
