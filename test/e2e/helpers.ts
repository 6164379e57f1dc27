import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, type Page } from '@playwright/test';

/** Small enough that a step takes well under a second even on SwiftShader. */
export const TINY = 'batchSize=16&imageSize=16&width=4&projector=32-32&epochs=2&metricsEvery=2';

export const stepOf = async (page: Page) => Number(await page.getByTestId('step').textContent());
export const lossPoints = async (page: Page) => Number(await page.getByTestId('chart-loss').getAttribute('data-points'));

/** Opens the studio, waits for the backend, loads the sample dataset. */
export async function openWithSample(page: Page, hash: string, backend: string) {
  page.on('pageerror', (e) => console.log(`[${backend}] page error:`, e.message));
  await page.goto(`/#${hash}`);
  await expect(page.getByTestId('backend')).toHaveText(backend, { timeout: 90_000 });
  await page.getByTestId('sample-dataset').click();
  await expect(page.getByTestId('dataset-summary')).toContainText('2000 images');
  await expect(page.getByTestId('dataset-summary')).toContainText('1600 train / 400 test');
}

/** Waits until the step counter passes `min` and returns it. */
export async function waitForStep(page: Page, min: number, timeout = 90_000): Promise<number> {
  await expect.poll(() => stepOf(page), { timeout }).toBeGreaterThan(min);
  return stepOf(page);
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The violations axe (WCAG 2 A/AA rules) finds now in the page, or in the element `within` selects,
 *  as "rule: target (why)" lines. axe runs through page.evaluate, which the page's
 *  Content-Security-Policy does not govern. */
export async function axeViolations(page: Page, within?: string): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async (selector) => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Element | Document,
            o: object,
          ): Promise<{ violations: { id: string; nodes: { target: string[]; failureSummary?: string }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(selector ? document.querySelector(selector)! : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${(n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim()})`),
    );
  }, within ?? null);
}
