import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { wasmThreads } from './scripts/wasm-threads-plugin.js';

// Cross-origin isolation gives the page SharedArrayBuffer, which the threaded WASM backend needs.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // The training worker is bundled on its own (worker.plugins), and in dev the dependencies are
  // pre-bundled by the optimizer: both need the threaded WASM glue fixed.
  worker: { format: 'es', plugins: () => [wasmThreads()] },
  optimizeDeps: { rolldownOptions: { plugins: [wasmThreads()] } },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
