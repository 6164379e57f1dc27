// Keeps TF.js's threaded WASM build startable from a bundle. Each pthread worker of that build
// loads the emscripten factory from a Blob that tfjs-backend-wasm makes of
// `wasmFactoryThreadedSimd.toString()` (dist/backend_wasm.js, init()), then calls it. Bundled and
// minified, that function refers to names of the bundle around it (its `_scriptDir` becomes `e`),
// so every pthread worker throws "e is not defined" and the backend's init never settles. This
// plugin gives the factory a toString that returns the emscripten file's own, self-contained text.
import type { Plugin } from 'vite';

const THREADED_GLUE = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
/** How the emscripten file (MODULARIZE=1, EXPORT_NAME=WasmBackendModuleThreadedSimd) begins. */
const HEAD = 'var WasmBackendModuleThreadedSimd = ';
/** ... and where its factory expression ends: the UMD export lines that follow it. */
const TAIL = "\nif (typeof exports === 'object' && typeof module === 'object')";

/** The file's code with the factory's toString pinned to the file's own text of the factory. */
export function pinFactorySource(code: string): string {
  const start = code.indexOf(HEAD);
  const end = code.indexOf(TAIL, start);
  if (start < 0 || end < 0) {
    throw new Error(
      `wasm-threads: the threaded glue no longer looks like emscripten's MODULARIZE output (head at ${start}, tail at ${end}); check tfjs-backend-wasm's wasm-out/tfjs-backend-wasm-threaded-simd.js`,
    );
  }
  const factory = code.slice(start + HEAD.length, end).trim();
  return `${code}\nWasmBackendModuleThreadedSimd.toString = () => ${JSON.stringify(factory)};\n`;
}

export function wasmThreads(): Plugin {
  return {
    name: 'vicreg:wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (!THREADED_GLUE.test(id.split('?')[0])) return null;
      return { code: pinFactorySource(code), map: null };
    },
  };
}
