import { expect, test } from './fixtures';
import { DEFAULT_CONFIG } from '../../workers/contract/config';
import { openWithSample, waitForStep } from './helpers';

test('bad URL hash values warn, keep the defaults, and the run still starts', async ({ page }) => {
  await openWithSample(page, 'batchSize=banana&nonsense=1&epochs=-3&backend=wasm&width=4&projector=32-32', 'wasm');
  const warnings = page.getByTestId('warnings');
  await expect(warnings).toContainText('batchSize=banana');
  await expect(warnings).toContainText('nonsense=1');
  await expect(warnings).toContainText('unknown setting');
  await expect(warnings).toContainText('epochs=-3');
  await expect(page.getByTestId('config-batchSize')).toHaveValue(String(DEFAULT_CONFIG.batchSize));
  await expect(page.getByTestId('config-epochs')).toHaveValue(String(DEFAULT_CONFIG.epochs));
  await page.getByTestId('train-start').click();
  await waitForStep(page, 2);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});

test('settings changed in the UI are written back to the URL', async ({ page }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  const field = page.getByTestId('config-batchSize');
  await field.fill('32');
  await field.press('Enter');
  await expect(page).toHaveURL(/batchSize=32/);
  await page.locator('summary', { hasText: 'Loss' }).click();
  await page.getByTestId('config-varianceMode').selectOption('adaptive');
  await expect(page).toHaveURL(/varianceMode=adaptive/);
  await field.fill('1');
  await field.press('Enter');
  await expect(page.locator('.field .error')).toContainText('expected 2 to 4096');
  await expect(page).toHaveURL(/batchSize=32/);
  // A value that clashes with another field is refused with the rule.
  await page.locator('summary', { hasText: 'Augment' }).click();
  const scaleMax = page.getByTestId('config-cropScaleMax');
  await scaleMax.fill('0.05');
  await scaleMax.press('Enter');
  await expect(page.locator('label.field', { has: scaleMax }).locator('.error')).toContainText('cropScaleMin must not exceed cropScaleMax');
  await expect(page).not.toHaveURL(/cropScaleMax/);
});

test('changing testFraction splits the loaded dataset again', async ({ page }) => {
  await openWithSample(page, 'backend=wasm', 'wasm');
  const field = page.getByTestId('config-testFraction');
  await field.fill('0.5');
  await field.press('Enter');
  await expect(page.getByTestId('dataset-summary')).toContainText('1000 train / 1000 test');
});
