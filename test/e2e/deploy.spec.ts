// The headers a static host must send (build/headers.ts): the build writes them to
// dist/_headers, and `vite preview`, which every browser test runs against, sends the same.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_HEADERS, headersFile } from '../../build/headers';
import { expect, test } from './fixtures';

test('the build ships its headers for static hosts, and the preview sends the same', async ({ page }) => {
  const file = readFileSync(join(process.cwd(), 'dist', '_headers'), 'utf8');
  expect(file).toBe(headersFile());
  expect(file).toContain('Cross-Origin-Embedder-Policy: require-corp');
  expect(file).toMatch(/Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:/);
  const response = await page.goto('/');
  for (const [name, value] of Object.entries(DEPLOY_HEADERS)) expect(response!.headers()[name.toLowerCase()], name).toBe(value);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('the policy holds: inline script is refused, and the tests notice a violation', async ({ page, csp }) => {
  await page.goto('/#backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 90_000 });
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__ran = true';
    document.head.appendChild(s);
  });
  expect(await page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran ?? false)).toBe(false);
  await expect.poll(() => csp.violations()).toContainEqual(expect.stringMatching(/script-src/));
  await csp.clear(); // the one violation this test caused on purpose
});
