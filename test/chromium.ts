// Finds the Chromium the browser tests drive: CHROME_PATH, Debian's /usr/bin/chromium, or the
// usual Chrome paths. Playwright's own browser download is never used (it cannot run offline).
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export function findChromium(): string {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROME_PATH is set to ${fromEnv}, but no file is there.`);
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(
    'No Chromium or Chrome found for the browser tests. Install one (Debian/Ubuntu: ' +
      '`sudo apt-get install -y chromium`) or set CHROME_PATH to its executable.',
  );
}

/** Headless flags that work without a GPU or network; WebGPU and WebGL run on SwiftShader. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

/**
 * The same without the GPU emulation: the page draws with Chrome's software compositor, as Chrome
 * does on a machine without a GPU, rather than through SwiftShader's emulated GL, which on a
 * 2-core machine took about a fifth of the training's speed (bench/loop.ts). No WebGL or WebGPU.
 */
export const CPU_ONLY_ARGS = [...CHROMIUM_ARGS.filter((f) => !/webgpu|swiftshader|angle/.test(f)), '--disable-gpu'];
