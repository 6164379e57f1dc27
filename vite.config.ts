import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { DEPLOY_HEADERS, ISOLATION, staticHeaders } from './build/headers.js';
import { wasmThreads } from './build/wasm-threads-plugin.js';

// The dev server sends no Content-Security-Policy: React's fast refresh injects an inline script.

export default defineConfig({
  plugins: [react(), staticHeaders()],
  // The training worker is bundled on its own (worker.plugins), and in dev the dependencies are
  // pre-bundled by the optimizer: both need the threaded WASM glue fixed.
  worker: { format: 'es', plugins: () => [wasmThreads()] },
  // The optimizer scans index.html by default and so met the workers' dependencies (TF.js and its
  // backends) only once the page started the worker: it optimized them then and reloaded the page,
  // losing a click made before. The workers' entries are scanned from the start.
  optimizeDeps: {
    entries: ['index.html', 'workers/worker.ts', 'workers/**/*-worker.ts'],
    rolldownOptions: { plugins: [wasmThreads()] },
  },
  server: { headers: ISOLATION, port: 5173 },
  // A test starts the dev server from an empty optimizer cache of its own (test/e2e/dev-server.spec.ts).
  cacheDir: process.env.VITE_CACHE_DIR,
  preview: { headers: DEPLOY_HEADERS, port: 4173 },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
