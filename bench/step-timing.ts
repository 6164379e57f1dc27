// Data-vs-compute time of a training step on the sample set, in headless Chromium against the
// production build, for each backend named (default: cpu webgl webgpu). The studio itself times
// every diagEvery-th step (views built and settled, then the step settled); this reads those.
//   npm run build && npx tsx bench/step-timing.ts "batchSize=64" cpu webgl
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';

const [hash = '', ...backends] = process.argv.slice(2);
const server = await startPreview();
try {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  for (const backend of backends.length ? backends : ['cpu', 'webgl', 'webgpu']) {
    const page = await browser.newPage();
    await page.goto(`${server.url}/#${hash}&backend=${backend}&diagEvery=3`);
    await page.getByTestId('backend').filter({ hasText: backend }).waitFor({ timeout: 120_000 });
    await page.getByTestId('sample-dataset').click();
    await page.getByTestId('dataset-summary').waitFor();
    await page.getByTestId('train-start').click();
    // Two timed steps (3 and 6) after the first, which includes shader compilation.
    const samples: string[] = [];
    const deadline = Date.now() + 540_000;
    while (samples.length < 3 && Date.now() < deadline) {
      await page.waitForTimeout(1000);
      const t = await page
        .getByTestId('step-timing')
        .textContent()
        .catch(() => null);
      if (t && samples[samples.length - 1] !== t) samples.push(t);
    }
    const speed = await page.locator('.progress .numbers span').nth(2).textContent();
    console.log(`${backend.padEnd(7)} ${hash || 'defaults'}: ${samples.join(' | ')} (${speed})`);
    await page.getByTestId('train-stop').click();
    await page.close();
  }
  await browser.close();
} finally {
  await server.stop();
}
