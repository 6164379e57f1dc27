// Accessibility: an axe-core scan (WCAG 2.0 to 2.2 A/AA rules, target size included) of the page
// with a dataset loaded, while training, and with evaluation results shows no violations; and the
// keyboard alone reaches every control. axe runs through page.evaluate, which the page's Content-Security-Policy does not
// govern (an injected <script> would be refused, as it should).
import { expect, test } from './fixtures';
import { axeViolations as violations, openWithSample, TINY } from './helpers';

test('axe finds no violations with a dataset loaded, while training, and with results', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=3&backend=wasm`, 'wasm');
  expect(await violations(page)).toEqual([]);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 60_000 });
  expect(await violations(page)).toEqual([]);
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await page.getByTestId('knn-run').click();
  await expect(page.getByTestId('knn-accuracy')).toBeVisible({ timeout: 120_000 });
  expect(await violations(page)).toEqual([]);
  // And with the compare view open.
  await page.getByTestId('checkpoint-run').first().getByTestId('compare-toggle').click();
  await expect(page.getByTestId('compare-panel')).toBeVisible();
  expect(await violations(page)).toEqual([]);
});

test('the keyboard alone reaches every control', async ({ page }) => {
  await openWithSample(page, `${TINY}&backend=wasm`, 'wasm');
  // Every enabled control on the page, by a description that finds it again.
  const controls = await page.evaluate(() => {
    const all = [...document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], summary')];
    return all
      .filter(
        (e) =>
          (!(e as HTMLButtonElement).disabled && e.getClientRects().length > 0) ||
          (e instanceof HTMLInputElement && e.type === 'file' && !e.disabled),
      )
      .map((e, i) => (e.dataset.kbd = String(i)));
  });
  const reached = new Set<string>();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < controls.length * 2 + 20 && reached.size < controls.length; i++) {
    await page.keyboard.press('Tab');
    const { k, closedSummary } = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return { k: a?.dataset.kbd ?? null, closedSummary: a?.tagName === 'SUMMARY' && !(a.parentElement as HTMLDetailsElement).open };
    });
    if (k !== null) reached.add(k);
    if (closedSummary) await page.keyboard.press('Enter'); // a settings group opens from the keyboard
  }
  const missed = await page.evaluate(
    (seen) =>
      [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
        .filter((e) => !seen.includes(e.dataset.kbd!))
        .map((e) => e.outerHTML.slice(0, 120)),
    [...reached],
  );
  expect(missed).toEqual([]);
});
