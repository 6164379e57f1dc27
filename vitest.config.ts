import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code they test and run in Node. No backend is set here: each test file
// picks its own, most TF.js's CPU backend (the reference semantics), the WASM kernels' and memory
// tests the WASM backend, and some both, to compare them (workers/backend/wasm/).
export default defineConfig({
  test: {
    include: ['workers/**/*.test.ts', 'src/**/*.test.ts', 'test/unit/**/*.test.ts', 'build/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
