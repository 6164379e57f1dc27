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
  optimizeDeps: { rolldownOptions: { plugins: [wasmThreads()] } },
  server: { headers: ISOLATION, port: 5173 },
  preview: { headers: DEPLOY_HEADERS, port: 4173 },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
