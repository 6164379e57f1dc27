// The model card before Train: each recipe chosen from the UI shows the parameters, FLOPs and
// memory that workers/model/card.ts computes for it, follows edits to a reduced size, warns where
// the estimate exceeds the WASM heap, and (with backend auto) estimates an epoch's time.
import { expect, test, type Page } from './fixtures';
import { DEFAULT_CONFIG, type TrainConfig } from '../../workers/contract/config';
import { applyPreset, RECIPE_IDS, RECIPES } from '../../workers/contract/presets';
import { modelCard } from '../../workers/model/card';
import { TINY } from './helpers';

const num = async (page: Page, id: string, attr: string) => Number(await page.getByTestId(id).getAttribute(attr));

/** Types a value into a config field and commits it with Enter. */
async function setField(page: Page, key: keyof TrainConfig, value: string) {
  const input = page.getByTestId(`config-${key}`);
  await input.fill(value);
  await input.press('Enter');
  await expect(input).toHaveValue(value);
}

async function expectCard(page: Page, config: TrainConfig) {
  const card = modelCard(config);
  await expect(page.getByTestId('model-params')).toHaveAttribute('data-backbone', String(card.params.backbone));
  await expect(page.getByTestId('model-params')).toHaveAttribute('data-projector', String(card.params.projector));
  await expect(page.getByTestId('model-flops')).toHaveAttribute('data-flops', String(card.flops.total));
  await expect(page.getByTestId('model-memory')).toHaveAttribute('data-bytes', String(card.memory.total));
}

test('each recipe chosen in the UI shows its numbers, and they follow a reduced batch, width and image size', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await expect(page.getByTestId('recipe')).toHaveValue('defaults');
  await expectCard(page, DEFAULT_CONFIG);
  await page.locator('summary', { hasText: 'Model' }).click();
  for (const id of RECIPE_IDS) {
    await page.getByTestId('recipe').selectOption(id);
    const full = applyPreset(DEFAULT_CONFIG, id);
    await expectCard(page, full);
    const params = await page.getByTestId('model-params').textContent();
    console.log(
      `${RECIPES[id].label}: ${params} | ${await page.getByTestId('model-flops').textContent()} | ${await page.getByTestId('model-memory').textContent()}`,
    );
    // A reduced size: batch 8, 32 px (16 px patches still fit), a quarter of the width.
    await setField(page, 'batchSize', '8');
    await setField(page, 'imageSize', '32');
    await setField(page, full.backbone === 'small-cnn' ? 'width' : 'widthMult', full.backbone === 'small-cnn' ? '8' : '0.25');
    const reduced = { ...full, batchSize: 8, imageSize: 32, ...(full.backbone === 'small-cnn' ? { width: 8 } : { widthMult: 0.25 }) };
    await expectCard(page, reduced);
    expect(await num(page, 'model-memory', 'data-bytes')).toBeLessThan(modelCard(full).memory.total);
    await expect(page.getByTestId('recipe')).toHaveValue('custom');
    await expect(page.getByTestId('model-epoch-time')).toContainText('not measured on wasm');
  }
});

test('the WASM heap warning says what to change, and goes once recomputation is on or the batch fits', async ({ page }) => {
  await page.goto('/#backend=wasm&preset=large-224-cpu&preset=adaptive&recompute=off');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await expect(page.getByTestId('recipe')).toHaveValue('large-224-cpu');
  await expect(page.getByTestId('preset')).toHaveValue('adaptive');
  const full = { ...applyPreset(applyPreset(DEFAULT_CONFIG, 'large-224-cpu'), 'adaptive'), recompute: 'off' as const };
  await expectCard(page, full);
  const warning = page.getByTestId('model-warning');
  await expect(warning).toHaveCount(1);
  await expect(warning).toContainText('exceeds what WASM can hold');
  await expect(warning).toContainText('set recompute to auto');
  await expect(warning).toContainText(/lower batchSize to at most \d+|lower imageSize or widthMult/);
  await expect(page.getByTestId('model-memory-recompute')).toHaveAttribute('data-on', 'no');
  // With data loaded, Train stays off and says why until the config fits.
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await expect(page.getByTestId('train-blocked')).toContainText('Train is off: The estimated training memory');
  // auto recomputes: the published batch fits.
  await page.locator('summary', { hasText: 'Runtime' }).click();
  await page.getByTestId('config-recompute').selectOption('auto');
  await expect(warning).toHaveCount(0);
  await expect(page.getByTestId('model-memory-recompute')).toHaveAttribute('data-on', 'yes');
  await expect(page.getByTestId('model-memory-recompute')).toHaveAttribute('data-bytes', String(modelCard(full).memory.recompute.total));
  await expect(page.getByTestId('train-start')).toBeEnabled();
  // Off again, and a smaller batch and image instead.
  await page.getByTestId('config-recompute').selectOption('off');
  await expect(warning).toHaveCount(1);
  await page.locator('summary', { hasText: 'Model' }).click();
  await setField(page, 'imageSize', '64');
  await setField(page, 'batchSize', '4');
  await expect(warning).toHaveCount(0);
  await expect(page.getByTestId('train-blocked')).toHaveCount(0);
  await expect(page.getByTestId('train-start')).toBeEnabled();
});

test('a run with recompute on trains to the end in the browser', async ({ page }) => {
  await page.goto(`/#${TINY}&epochs=1&backend=wasm&recompute=on`);
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('1600 train / 400 test');
  await expect(page.getByTestId('model-memory-recompute')).toHaveAttribute('data-on', 'yes');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('100');
});

test('with backend auto, the card estimates the time of an epoch over the loaded training split', async ({ page }) => {
  await page.goto(`/#${TINY}&epochs=1`);
  await expect(page.getByTestId('backend-how')).toHaveText('fastest measured', { timeout: 150_000 });
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('1600 train / 400 test');
  const time = page.getByTestId('model-epoch-time');
  await expect(time).toContainText('for 1600 images on');
  const seconds = await num(page, 'model-epoch-time', 'data-seconds');
  expect(seconds).toBeGreaterThan(0);
  console.log(`epoch estimate: ${await time.textContent()}`);
  // The probe timed this very model, so the estimate is its ms per image times 1600.
  const active = await page.getByTestId('backend').textContent();
  const ms = Number(await page.getByTestId('backend-attempts').locator(`li[data-name="${active}"]`).getAttribute('data-ms-per-image'));
  expect(seconds).toBeCloseTo((ms * 1600) / 1000, 1);
});
