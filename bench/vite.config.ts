// The benchmark page's build: the studio's worker code behind bench/step.html, cross-origin
// isolated like the studio (vite.config.ts), into bench/.dist.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { wasmThreads } from '../build/wasm-threads-plugin.js';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  worker: { format: 'es', plugins: () => [wasmThreads()] }, // as the studio: WASM on threads
  preview: { headers: isolation },
  build: {
    target: 'es2022',
    outDir: '.dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 8192,
    rollupOptions: { input: { step: fileURLToPath(new URL('./step.html', import.meta.url)) } },
  },
});
