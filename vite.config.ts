import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Cross-origin isolation gives the page SharedArrayBuffer, which the threaded WASM backend needs.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
