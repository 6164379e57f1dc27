// A soak run in a real browser: the quick CPU recipe for 2,000 steps on the sample, with
// checkpoints every 50 steps, in one page. Every 20 s it reads what the page holds (the training
// worker's TF.js tensors and bytes and its WASM heap, from the Train panel's memory readout; the
// page's JS heap, workers included, by performance.measureUserAgentSpecificMemory; the origin's
// storage use, IndexedDB included) and prints a table, then how much each figure moved after
// warm-up. Not a test: it takes about a quarter of an hour.
//   npm run build && npx tsx bench/soak.ts [steps=2000] [every=20] [out=bench/results/soak.jsonl]
import { chromium } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { CHROMIUM_ARGS, findChromium } from '../test/chromium';
import { startPreview } from './preview';
import { benchArgs } from './args';

const args = benchArgs();
const steps = Number(args.steps ?? 2000);
const every = Number(args.every ?? 20) * 1000;
const out = args.out ?? 'bench/results/soak.jsonl';
// Sample: 2,000 images, 1,600 in the training split, batch 64: 25 steps per epoch.
const epochs = Math.ceil(steps / 25);

interface Sample {
  at: number;
  step: number;
  tensors: number;
  tfBytes: number;
  wasmHeap: number;
  pageHeap: number;
  storage: number;
}

const server = await startPreview();
const samples: Sample[] = [];
try {
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: [...CHROMIUM_ARGS, '--enable-blink-features=ForceEagerMeasureMemory'],
  });
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(`${server.url}/#backend=wasm&preset=quick-cpu&epochs=${epochs}&checkpointEvery=50&keepCheckpoints=3`);
  await page.waitForFunction(() => !(document.querySelector('[data-testid=sample-dataset]') as HTMLButtonElement | null)?.disabled, null, {
    timeout: 300_000,
  });
  await page.getByTestId('sample-dataset').click();
  await page.getByTestId('dataset-summary').waitFor({ timeout: 300_000 });
  await page.waitForFunction(() => !(document.querySelector('[data-testid=train-start]') as HTMLButtonElement | null)?.disabled, null, {
    timeout: 300_000,
  });
  const t0 = Date.now();
  await page.getByTestId('train-start').click();
  console.log(`soak: ${epochs} epochs × 25 steps of quick-cpu on the sample, checkpoints every 50 steps`);
  console.log('   s   step  tensors    tf MiB  heap MiB  page MiB  storage MiB');
  for (;;) {
    await new Promise((r) => setTimeout(r, every));
    const state = await page.getByTestId('run-state').textContent();
    const s = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid=tf-memory]');
      const step = Number(document.querySelector('[data-testid=step]')?.textContent ?? 0);
      const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> })
        .measureUserAgentSpecificMemory;
      const pageHeap = measure ? (await measure.call(performance)).bytes : NaN;
      const storage = (await navigator.storage.estimate()).usage ?? NaN;
      return {
        step,
        tensors: Number(el?.getAttribute('data-tensors')),
        tfBytes: Number(el?.getAttribute('data-bytes')),
        wasmHeap: Number(el?.getAttribute('data-heap')),
        pageHeap,
        storage,
      };
    });
    const sample = { at: (Date.now() - t0) / 1000, ...s };
    samples.push(sample);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1).padStart(9);
    console.log(
      `${sample.at.toFixed(0).padStart(4)} ${String(s.step).padStart(6)} ${String(s.tensors).padStart(8)} ${mb(s.tfBytes)} ${mb(s.wasmHeap)} ${mb(s.pageHeap)} ${mb(s.storage)}`,
    );
    if (state !== 'running' && state !== 'preparing') {
      console.log(`run ended: ${state} at step ${s.step}`);
      break;
    }
  }
  await browser.close();
} finally {
  await server.stop();
}

// After warm-up (the first quarter of the steps) every figure should stay within a band: report
// its range there and its drift (last sample against the first after warm-up).
const warm = samples.filter((s) => s.step >= steps / 4 && s.step > 0);
const summary: Record<string, { min: number; max: number; drift: number }> = {};
for (const k of ['tensors', 'tfBytes', 'wasmHeap', 'pageHeap', 'storage'] as const) {
  const xs = warm.map((s) => s[k]).filter(Number.isFinite);
  if (!xs.length) continue;
  summary[k] = { min: Math.min(...xs), max: Math.max(...xs), drift: xs[xs.length - 1] - xs[0] };
}
console.log(`after warm-up (${warm.length} samples from step ${warm[0]?.step}):`);
for (const [k, v] of Object.entries(summary)) {
  const f = k === 'tensors' ? (n: number) => String(n) : (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(`  ${k.padEnd(9)} ${f(v.min)} .. ${f(v.max)}, drift ${f(v.drift)}`);
}
appendFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), steps, samples, summary })}\n`);
