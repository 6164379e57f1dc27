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

/** The violations axe (WCAG 2.0, 2.1 and 2.2 A/AA rules, target size included) finds now in the page, or in the element `within` selects,
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
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      // Off by default in axe-core 4.14 even when its tag is asked for: WCAG 2.2's 2.5.8 Target
      // Size (Minimum), 24 px or that much room around a smaller target.
      rules: { 'target-size': { enabled: true } },
    });
    return r.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${(n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim()})`),
    );
  }, within ?? null);
}

/** The elements whose right edge passes the window's (what makes a page scroll sideways), the
 *  outermost of each nest, as "tag.class[testid] right=px" lines, with the page's scroll width. */
export async function overflowing(page: Page): Promise<{ scrollWidth: number; innerWidth: number; elements: string[] }> {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const over = [...document.querySelectorAll<HTMLElement>('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5);
    const outermost = over.filter((e) => !over.includes(e.parentElement as HTMLElement));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: w,
      elements: outermost.map((e) => {
        const cls = typeof e.className === 'string' && e.className ? `.${e.className.trim().replace(/\s+/g, '.')}` : '';
        const id = e.dataset.testid ? `[${e.dataset.testid}]` : '';
        return `${e.tagName.toLowerCase()}${cls}${id} right=${Math.round(e.getBoundingClientRect().right)}`;
      }),
    };
  });
}

/** The renderer's main-thread tasks over `overMs` of wall time in a Chromium trace, each with its
 *  thread (CPU) time: [start ms, wall ms, thread ms] (trace clock). */
export function traceTasks(trace: Buffer, overMs: number): [number, number, number][] {
  const events = (
    JSON.parse(trace.toString()) as {
      traceEvents: {
        name: string;
        ph: string;
        pid: number;
        tid: number;
        ts: number;
        dur?: number;
        tdur?: number;
        args?: { name?: string };
      }[];
    }
  ).traceEvents;
  const main = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  return events
    .filter(
      (e) => e.name === 'ThreadControllerImpl::RunTask' && e.ph === 'X' && main.has(`${e.pid}:${e.tid}`) && (e.dur ?? 0) > overMs * 1000,
    )
    .map((e) => [e.ts / 1000, (e.dur ?? 0) / 1000, (e.tdur ?? 0) / 1000]);
}

/** The offset from the page's clock (performance.now()) to a trace's, in ms, from the performance
 *  mark `name` made while tracing (category blink.user_timing). */
export function traceOffset(trace: Buffer, name: string, markedAt: number): number {
  const events = (JSON.parse(trace.toString()) as { traceEvents: { name: string; ts: number }[] }).traceEvents;
  const mark = events.find((e) => e.name === name);
  if (!mark) throw new Error(`no mark ${name} in the trace`);
  return mark.ts / 1000 - markedAt;
}
