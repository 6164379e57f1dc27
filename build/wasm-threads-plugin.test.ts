import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { pinFactorySource } from './wasm-threads-plugin';

const glue = readFileSync(
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'),
  'utf8',
);

describe('pinFactorySource', () => {
  it('gives the factory a toString that defines it with nothing from the bundle around it', () => {
    const module = { exports: {} as unknown };
    vm.runInNewContext(pinFactorySource(glue), { module, exports: module.exports });
    const factory = module.exports as () => unknown;
    // What tfjs-backend-wasm's init() puts in the Blob that each pthread worker imports.
    const blob = `var WasmBackendModuleThreadedSimd = ${factory.toString()}`;
    const pthread: { WasmBackendModuleThreadedSimd?: unknown } = {};
    vm.runInNewContext(blob, pthread);
    expect(typeof pthread.WasmBackendModuleThreadedSimd).toBe('function');
    expect(factory.toString()).toContain('function(WasmBackendModuleThreadedSimd)');
  });

  it('refuses a file that is not the emscripten output it knows', () => {
    expect(() => pinFactorySource('module.exports = 1;')).toThrow(
      /no longer looks like emscripten's MODULARIZE output \(head at -1, tail at -1\)/,
    );
  });
});
