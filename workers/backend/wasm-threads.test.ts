import { describe, expect, it } from 'vitest';
import { startWasm, type WasmStartDeps } from './wasm-threads';

/** A fake TF.js: `starts` answers each setBackend('wasm') in turn ('hang' never settles). */
function fake(starts: ('ok' | 'unavailable' | 'hang' | Error)[], over: Partial<WasmStartDeps> = {}) {
  const log: string[] = [];
  let threaded = true;
  let requested = -1;
  const deps: WasmStartDeps = {
    start: () => {
      const next = starts.shift()!;
      log.push(`start ${threaded ? 'threaded' : 'single'}`);
      if (next === 'hang') return new Promise(() => {});
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(next === 'ok');
    },
    threadsWork: async () => threaded,
    disableThreads: () => void (threaded = false),
    requestThreads: (n) => void (requested = n),
    presentCores: (n) => {
      log.push(`cores ${n}`);
      return () => log.push('cores restored');
    },
    threadsInUse: () => (threaded ? requested : 1),
    cores: 2,
    isolated: true,
    timeoutMs: 50,
    ...over,
  };
  return { deps, log, setThreaded: (t: boolean) => void (threaded = t) };
}

describe('startWasm', () => {
  it('with wasmThreads = 1 starts the single-threaded build and says why', async () => {
    const { deps, log } = fake(['ok']);
    expect(await startWasm(deps, 1)).toEqual({ threads: 1, note: 'wasmThreads = 1' });
    expect(log).toEqual(['start single']);
  });
  it('with wasmThreads = N asks for N threads, at most the pool of 8', async () => {
    const two = fake(['ok'], { cores: 16 });
    expect(await startWasm(two.deps, 2)).toEqual({ threads: 2 });
    const many = fake(['ok'], { cores: 16 });
    expect(await startWasm(many.deps, 12)).toEqual({ threads: 8 });
  });
  it('asks for one thread per core and reports the threads in use', async () => {
    const { deps, log } = fake(['ok']);
    expect(await startWasm(deps)).toEqual({ threads: 2 });
    // TF.js would cap 2 cores at 1 thread (hardwareConcurrency / 2) without the doubling.
    expect(log).toEqual(['cores 4', 'start threaded', 'cores restored']);
  });

  it('asks for no more threads than emscripten preloads workers for', async () => {
    const { deps } = fake(['ok'], { cores: 32 });
    expect(await startWasm(deps)).toEqual({ threads: 8 });
  });

  it('falls back to the single-threaded build when the threaded start hangs, and says so', async () => {
    const { deps, log } = fake(['hang', 'ok']);
    const started = await startWasm(deps);
    expect(log).toEqual(['cores 4', 'start threaded', 'cores restored', 'start single']);
    expect(started?.threads).toBe(1);
    expect(started?.note).toMatch(/threads failed to start \(the threaded build did not finish within 0.05 s\)/);
  });

  it('falls back when the threaded start fails', async () => {
    // TF.js's engine catches a failed backend init (tfjs-backend-wasm's onAbort) and resolves false.
    const failed = fake(['unavailable', 'ok']);
    expect(await startWasm(failed.deps)).toEqual({
      threads: 1,
      note: 'threads failed to start (the threaded build did not start); single-threaded build',
    });
    expect(failed.log).toEqual(['cores 4', 'start threaded', 'cores restored', 'start single']);
    const threw = fake([new Error('pthread worker failed'), 'ok']);
    expect((await startWasm(threw.deps))?.note).toMatch(/\(pthread worker failed\)/);
  });

  it('says why it runs on one thread when threads are not available', async () => {
    const notIsolated = fake(['ok'], { isolated: false });
    notIsolated.setThreaded(false);
    expect(await startWasm(notIsolated.deps)).toEqual({ threads: 1, note: 'the page is not cross-origin isolated' });
    const noThreads = fake(['ok']);
    noThreads.setThreaded(false);
    expect((await startWasm(noThreads.deps))?.note).toBe('this browser has no WebAssembly threads');
  });

  it('is null when WASM is not available at all', async () => {
    expect(await startWasm(fake(['unavailable', 'unavailable']).deps)).toBeNull();
  });
});
