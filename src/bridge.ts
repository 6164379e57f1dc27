// The one bridge from UI to worker: a typed Comlink proxy over the module worker that owns TF.js.
// The UI imports worker code only as types (workers/contract), never TF.js itself.
import * as Comlink from 'comlink';
import type { WorkerApi } from '../workers/contract/api';

let remote: Comlink.Remote<WorkerApi> | null = null;

export function worker(): Comlink.Remote<WorkerApi> {
  if (!remote) {
    const w = new Worker(new URL('../workers/worker.ts', import.meta.url), { type: 'module', name: 'vicreg-worker' });
    remote = Comlink.wrap<WorkerApi>(w);
  }
  return remote;
}

/** Wraps a UI callback so the worker can call it across the boundary. */
export const callback = <T extends (...args: never[]) => unknown>(f: T) => Comlink.proxy(f);

/** Hands `buffers` to the worker instead of copying them; they are empty on this side after the call. */
export const transfer = <T>(value: T, buffers: Transferable[]) => Comlink.transfer(value, buffers);

/** Absolute URL of the app's public/ root, for the worker's fetches. */
export const publicBase = () => new URL(import.meta.env.BASE_URL, location.href).href;
