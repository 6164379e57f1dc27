// The HTTP headers the studio needs from whatever serves it, in one place: `vite preview` sends
// them (so the browser tests run under them), and the build writes them to dist/_headers, the
// format Netlify and Cloudflare Pages read. Other hosts: set the same headers (README, "Deploy").
import type { Plugin } from 'vite';

/** Cross-origin isolation gives the page SharedArrayBuffer, which the threaded WASM backend needs. */
export const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Only what the app uses: its own scripts, workers and fetches; WebAssembly compilation
 * ('wasm-unsafe-eval', not 'unsafe-eval'); blob: for the WASM backend's pthread workers, which
 * load their code from a Blob (build/wasm-threads-plugin.ts); blob: and data: images for the
 * thumbnails and previews; inline style attributes (React and recharts set them).
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DEPLOY_HEADERS: Record<string, string> = { ...ISOLATION, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' };

/** dist/_headers: every path gets DEPLOY_HEADERS. */
export function headersFile(headers: Record<string, string> = DEPLOY_HEADERS): string {
  return `/*\n${Object.entries(headers)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')}\n`;
}

export function staticHeaders(): Plugin {
  return {
    name: 'vicreg:static-headers',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile() });
    },
  };
}
