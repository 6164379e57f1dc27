// The baselines that answer "was self-supervised pretraining worth it?": fine-tuning the run's
// encoder end to end, and the same architecture trained with labels from scratch, beside the
// probe and k-NN, with their curves, times and per-class accuracy.
import { expect, test } from './fixtures';
import { openWithSample, TINY } from './helpers';

test('fine-tune and supervised rows appear with finite accuracies, curves and per-class accuracy', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&baselineEpochs=1&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  for (const [kind, row] of [
    ['finetune', 'fine-tune'],
    ['supervised', 'supervised'],
  ] as const) {
    // Every phase the progress bar names, seen as it changes (the probe phases can be brief).
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { phases: Set<string> }).phases = seen;
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-phase]')) seen.add(el.getAttribute('data-phase')!);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
    });
    await page.getByTestId(`${kind}-run`).click();
    const table = page.getByTestId(`${kind}-accuracy`);
    await expect(table).toBeVisible({ timeout: 180_000 });
    const phases = await page.evaluate(() => [...(window as unknown as { phases: Set<string> }).phases]);
    // No probe was run on the page: LP-FT fits its own first, with its own progress.
    expect(phases).toEqual(
      kind === 'finetune' ? ['embedding the images for its linear probe', 'fitting the linear probe it starts from'] : [],
    );
    const top1 = Number(await table.locator(`tr[data-row="${row}"]`).getAttribute('data-top1'));
    expect(top1).toBeGreaterThan(0);
    expect(top1).toBeLessThanOrEqual(1);
    await expect(page.getByTestId(`${kind}-curve`)).toContainText(/Training loss by epoch: \d+\.\d{3} \(took/);
    // Fine-tuning starts from the linear probe, on the readout the page evaluates with (LP-FT).
    if (kind === 'finetune') await expect(table.locator('caption')).toContainText('LP-FT from the linear probe on the 4x4 grid');
    await page.getByTestId(`${kind}-confusion`).locator('summary').click();
    await expect(page.getByTestId(`${kind}-confusion`).locator('tbody tr')).toHaveCount(10);
  }
  // Cached per weights: asked again, the kept result comes back (the same time, to the millisecond).
  const first = await page.getByTestId('finetune-curve').getAttribute('data-seconds');
  await expect(page.getByTestId('finetune-curve')).not.toContainText('kept');
  await page.getByTestId('finetune-run').click();
  await expect(page.getByTestId('finetune-curve')).toContainText('the result kept from then');
  await expect(page.getByTestId('finetune-curve')).toHaveAttribute('data-seconds', first!);
});

test('by default a baseline trains as long as the run did, and says what it cost', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=2&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await page.getByTestId('probe-run').click();
  await expect(page.getByTestId('probe-accuracy')).toBeVisible({ timeout: 180_000 });
  await page.getByTestId('supervised-run').click();
  const cost = page.getByTestId('supervised-cost');
  await expect(cost).toBeVisible({ timeout: 180_000 });
  await expect(cost).toContainText("equal to the same time as the run's training time");
  const budget = Number(await cost.getAttribute('data-budget-seconds'));
  const epochs = Number(await cost.getAttribute('data-epochs'));
  const steps = Number(await cost.getAttribute('data-steps'));
  expect(budget).toBeGreaterThan(0);
  expect(budget).toBeLessThan(120);
  expect(epochs).toBeGreaterThanOrEqual(1);
  expect(steps % epochs).toBe(0); // whole epochs
  await expect(cost).toContainText(`Cost: ${epochs} ${epochs === 1 ? 'epoch' : 'epochs'}, ${steps} steps`);
  // Against the linear probe's VICReg row on the same test images: a paired difference and a verdict.
  const table = page.getByTestId('supervised-accuracy');
  await expect(table.locator('th', { hasText: 'VICReg probe − row' })).toHaveCount(1);
  const paired = table.getByTestId('paired-difference');
  await expect(paired).toHaveCount(1);
  expect(['higher', 'lower', 'within noise']).toContain(await paired.getAttribute('data-verdict'));
  const probeTop1 = Number(await page.getByTestId('probe-accuracy').locator('tr[data-row="trained"]').getAttribute('data-top1'));
  const rowTop1 = Number(await table.locator('tr[data-row="supervised"]').getAttribute('data-top1'));
  expect(Number(await paired.getAttribute('data-diff'))).toBeCloseTo(probeTop1 - rowTop1, 9);
});
