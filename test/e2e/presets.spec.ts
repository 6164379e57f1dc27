// Each preset trains the sample set for a few dozen steps and fills every chart series (loss
// terms, schedules and collapse diagnostics) with finite numbers.
import { expect, test, type Page } from './fixtures';
import { DEFAULT_CONFIG } from '../../workers/contract/config';
import { PRESET_IDS, PRESETS } from '../../workers/contract/presets';
import { openWithSample, stepOf } from './helpers';

// 1600 training images / 32 = 50 steps in one epoch; diagnostics at steps 1, 5, ..., 50.
const RUN = 'backend=wasm&batchSize=32&imageSize=16&width=4&projector=32-32&epochs=1&metricsEvery=5&diagEvery=5';

async function chartsFilled(page: Page) {
  const charts = page.locator('figure.chart');
  await expect(charts).toHaveCount(13);
  for (const chart of await charts.all()) {
    const id = await chart.getAttribute('data-testid');
    const points = Number(await chart.getAttribute('data-points'));
    // Per step: 50 points; diagnostics every 5 steps: 11; online k-NN: at least the random init and the end.
    const least =
      id === 'chart-knn' ? 1 : id!.startsWith('chart-std') || ['chart-rankme', 'chart-cosine', 'chart-covsq'].includes(id!) ? 10 : 49;
    expect(points, id!).toBeGreaterThan(least);
    await expect(chart, id!).toHaveAttribute('data-finite', 'true');
    // Every series is drawn as a line; a chart scrolled away draws when it comes on screen.
    await chart.scrollIntoViewIfNeeded();
    await expect.poll(() => chart.locator('path.recharts-line-curve').count(), { message: id! }).toBeGreaterThan(0);
  }
}

for (const id of PRESET_IDS) {
  test(`preset "${PRESETS[id].label}" trains and fills every chart with finite numbers`, async ({ page }) => {
    await openWithSample(page, `preset=${id}&${RUN}`, 'wasm');
    await expect(page.getByTestId('preset')).toHaveValue(id);
    await page.getByTestId('train-start').click();
    await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 150_000 });
    expect(await stepOf(page)).toBe(50);
    await chartsFilled(page);
    await expect(page.locator('.warnings .error')).toHaveCount(0);
    // gammaT: fixed at 1 for the official loss; the EMA median clipped to [gammaMin, gammaMax] for AVT.
    const gamma = await page.getByTestId('chart-gamma').locator('.last').textContent();
    const c = { ...DEFAULT_CONFIG, ...PRESETS[id].config };
    if (id === 'official') expect(gamma).toBe('1.00');
    else {
      expect(Number(gamma)).toBeLessThanOrEqual(c.gammaMax);
      expect(Number(gamma)).toBeGreaterThanOrEqual(c.gammaMin);
    }
  });
}

test('choosing a preset in the UI sets its fields and the URL, and editing one makes it custom', async ({ page }) => {
  await page.goto('/#backend=wasm&epochs=3');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await expect(page.getByTestId('preset')).toHaveValue('official');
  await page.getByTestId('preset').selectOption('adaptive');
  await expect(page).toHaveURL(/preset=adaptive/);
  await expect(page).toHaveURL(/epochs=3/);
  await page.locator('summary', { hasText: 'Loss' }).click();
  await expect(page.getByTestId('config-varianceMode')).toHaveValue('adaptive');
  await expect(page.getByTestId('config-covarianceMode')).toHaveValue('sicov');
  await page.getByTestId('config-covarianceMode').selectOption('offdiag');
  await expect(page.getByTestId('preset')).toHaveValue('custom');
  await page.getByTestId('preset').selectOption('official');
  await expect(page.getByTestId('config-varianceMode')).toHaveValue('fixed');
  await expect(page).not.toHaveURL(/preset=/);
});
