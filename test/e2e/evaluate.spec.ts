// k-NN and the linear probe after a short run on the sample set: the trained encoder beside a
// random-init encoder of the same architecture and seed and raw pixels, on the 400-image test split;
// the PCA feature map and the neighbour gallery; evaluating a snapshot while training goes on.
import { expect, test } from './fixtures';
import { openWithSample, stepOf, waitForStep } from './helpers';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

test('k-NN and the linear probe report top-1 and top-5 for the trained encoder and both baselines', async ({ page }) => {
  await openWithSample(page, 'backend=wasm&batchSize=64&imageSize=16&width=8&projector=64-64&epochs=2&metricsEvery=5', 'wasm');
  await expect(page.getByTestId('eval-blocked')).toContainText('Train first');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('eval-mode')).toContainText('Evaluating a snapshot of the weights', { timeout: 60_000 });
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
  await expect(page.getByTestId('eval-mode')).toContainText('Evaluates the weights of the finished run (step 50)');
  await page.getByTestId('knn-run').click();
  const table = page.getByTestId('knn-accuracy');
  await expect(table).toContainText('on 400 test images against 1600 training images', { timeout: 120_000 });
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), Number(tr.getAttribute('data-top1')), tr.textContent]));
  // Every top-1 with its 95% interval on the 400 test images: around it, at most ±5 points wide.
  const intervals = await table
    .getByTestId('top1-interval')
    .evaluateAll((tds) => tds.map((td) => [Number(td.getAttribute('data-lo')), Number(td.getAttribute('data-hi')), td.textContent]));
  expect(intervals).toHaveLength(3);
  intervals.forEach(([lo, hi, text], i) => {
    const top1 = rows[i][1] as number;
    expect(lo as number).toBeLessThan(top1);
    expect(hi as number).toBeGreaterThan(top1);
    expect((hi as number) - (lo as number)).toBeGreaterThan(0.02);
    expect((hi as number) - (lo as number)).toBeLessThan(0.1);
    expect(text).toMatch(/^\d+\.\d–\d+\.\d%$/);
  });
  // VICReg against each baseline, paired over the same test images: the difference of the rows'
  // top-1 inside its interval, and a verdict exactly when the interval leaves out zero.
  const paired = await table
    .getByTestId('paired-difference')
    .evaluateAll((tds) =>
      tds.map((td) =>
        ['diff', 'lo', 'hi'].map((k) => Number(td.getAttribute(`data-${k}`))).concat([td.getAttribute('data-verdict') as never]),
      ),
    );
  expect(paired).toHaveLength(2);
  paired.forEach(([diff, lo, hi, says], i) => {
    expect(diff).toBeCloseTo((rows[0][1] as number) - (rows[i + 1][1] as number), 9);
    expect(lo).toBeLessThanOrEqual(diff);
    expect(hi).toBeGreaterThanOrEqual(diff);
    expect(hi - lo).toBeLessThan(0.15);
    expect(says).toBe(lo > 0 ? 'higher' : hi < 0 ? 'lower' : 'within noise');
  });
  await table.screenshot({ path: 'test-results/evaluate-knn.png' });
  console.log(
    'k-NN, VICReg − row:',
    paired.map(([d, lo, hi, v]) => `${(100 * d).toFixed(1)} (${(100 * lo).toFixed(1)} to ${(100 * hi).toFixed(1)}) ${v}`).join('; '),
  );
  console.log('k-NN:', rows.map(([n, a]) => `${n} ${(100 * Number(a)).toFixed(1)}%`).join(', '));
  expect(rows.map((r) => r[0])).toEqual(['trained', 'random init', 'raw pixels']);
  // Ten balanced classes: chance is 10%; every row must do clearly better, and report top-5.
  for (const [name, top1, text] of rows) {
    expect(top1 as number, name as string).toBeGreaterThan(0.3);
    expect(top1 as number, name as string).toBeLessThanOrEqual(1);
    expect(text).toMatch(
      /\d+\.\d%\d+\.\d–\d+\.\d%\d+\.\d%(–|[+−]\d+\.\d \([+−]\d+\.\d to [+−]\d+\.\d\): (within noise|VICReg higher|VICReg lower))$/,
    );
  }

  await page.getByTestId('probe-run').click();
  const probe = page.getByTestId('probe-accuracy');
  await expect(probe).toContainText('50 epochs', { timeout: 150_000 });
  const probeRows = await probe
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), Number(tr.getAttribute('data-top1'))]));
  console.log('probe:', probeRows.map(([n, a]) => `${n} ${(100 * Number(a)).toFixed(1)}%`).join(', '));
  expect(probeRows.map((r) => r[0])).toEqual(['trained', 'random init', 'raw pixels']);
  for (const [name, top1] of probeRows) {
    expect(top1 as number, name as string).toBeGreaterThan(0.3);
    expect(top1 as number, name as string).toBeLessThanOrEqual(1);
  }
  // The confusion matrix of this run: 10 rows that add up to the 400 test images.
  await page.getByTestId('probe-confusion').locator('summary').click();
  const cells = await page
    .getByTestId('probe-confusion')
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from(tr.querySelectorAll('td'))
          .slice(0, -1)
          .map((td) => Number(td.textContent)),
      ),
    );
  expect(cells).toHaveLength(10);
  expect(cells.flat().reduce((a, v) => a + v, 0)).toBe(400);
  await page.getByTestId('probe-confusion').screenshot({ path: 'test-results/evaluate.png' });

  // The feature map: one dot per test image, coloured by class; hover shows the image.
  await page.getByTestId('map-run').click();
  const map = page.getByTestId('feature-map');
  await expect(map).toHaveAttribute('data-points', '400', { timeout: 60_000 });
  await expect(map.getByTestId('map-point')).toHaveCount(400);
  await expect(map).toContainText('weights of step 50');
  const point = map.locator('[data-testid="map-point"][data-test="7"]');
  await point.hover();
  await expect(page.getByTestId('map-hover')).toContainText('test image 7');
  expect(await page.getByTestId('map-hover').locator('img').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  // A click opens its k = 20 nearest training images, each with its similarity and class, best first.
  await point.click({ force: true });
  const gallery = page.getByTestId('neighbour-gallery');
  await expect(gallery).toHaveAttribute('data-status', 'done');
  await expect(gallery).toContainText('Nearest training images of test image 7');
  const items = await gallery
    .getByTestId('neighbour')
    .evaluateAll((figs) => figs.map((f) => [Number(f.getAttribute('data-similarity')), f.getAttribute('data-class'), f.textContent]));
  expect(items).toHaveLength(20);
  for (const [sim, cls, text] of items) {
    expect(sim as number).toBeGreaterThanOrEqual(-1);
    expect(sim as number).toBeLessThanOrEqual(1 + 1e-6);
    expect(CLASSES).toContain(cls);
    expect(text).toBe(`${(sim as number).toFixed(3)}${cls}`);
  }
  const sims = items.map((i) => i[0] as number);
  expect(sims).toEqual([...sims].sort((a, b) => b - a));
  await page.locator('.eval').screenshot({ path: 'test-results/feature-map.png' });
});

test('k-NN during training evaluates a snapshot of the weights and the run goes on', async ({ page }) => {
  await openWithSample(page, 'backend=wasm&batchSize=32&imageSize=16&width=4&projector=32-32&epochs=30&metricsEvery=5', 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 10);
  await expect(page.getByTestId('eval-mode')).toContainText('training continues');
  await page.getByTestId('knn-run').click();
  const table = page.getByTestId('knn-accuracy');
  await expect(table).toContainText('(a snapshot taken while training)', { timeout: 120_000 });
  const snapshotStep = Number((await table.locator('caption').textContent())!.match(/weights of step (\d+)/)![1]);
  expect(snapshotStep).toBeGreaterThan(10);
  expect(await table.locator('tbody tr').count()).toBe(3);
  // Training was not paused by the evaluation and is still going.
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await waitForStep(page, snapshotStep + 5);
  expect(await stepOf(page)).toBeGreaterThan(snapshotStep);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});
