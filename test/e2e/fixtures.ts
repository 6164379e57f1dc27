// Every browser test runs under the Content-Security-Policy that `vite preview` sends
// (build/headers.ts), and fails on any violation: the page's own (the DOM's
// securitypolicyviolation event, recorded from the first script on) and the worker's (Chromium
// logs "Refused to ..." for those).
import { test as base, expect, type Page } from '@playwright/test';

export const test = base.extend<{ csp: { violations: () => Promise<string[]>; clear: () => Promise<void> } }>({
  csp: [
    async ({ page }, use) => {
      const logged: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) logged.push(m.text());
      });
      await page.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`),
        );
      });
      const violations = async () => [...logged, ...(await domViolations(page))];
      const clear = async () => {
        logged.length = 0;
        await page.evaluate(() => void ((window as unknown as { __csp: string[] }).__csp = []));
      };
      await use({ violations, clear });
      expect(await violations(), 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

async function domViolations(page: Page): Promise<string[]> {
  if (page.isClosed()) return [];
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []).catch(() => []);
}

export { expect };
export type { Page };
