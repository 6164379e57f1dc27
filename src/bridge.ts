// The one bridge from UI to worker: a typed Comlink proxy over the module worker that owns TF.js.
// The UI imports worker code only as types (workers/contract), never TF.js itself.
//
// A worker can die (out of memory, a crash): its `error` event or a silence longer than
// ./liveness.ts allows tells; then every call in flight rejects with WorkerLost, the worker is
// replaced by a fresh one on the next call, and the listeners (src/worker-events.ts) say what
// happened and offer to resume from the last checkpoint.
import * as Comlink from 'comlink';
import { GPU_LOST, type WorkerApi } from '../workers/contract/api';
import { Liveness } from './liveness';

/** Why calls in flight failed: the worker is gone. */
export class WorkerLost extends Error {}

const PING_EVERY_MS = 2_000;

interface Current {
  w: Worker;
  api: Comlink.Remote<WorkerApi>;
  liveness: Liveness;
}
let current: Current | null = null;
const lostListeners = new Set<(why: string, gpuLost: boolean) => void>();

/** Called with the reason each time the worker is found dead (after it was replaced); gpuLost
 *  when it was its WebGPU device that went (the new worker must not use WebGPU again). */
export function onWorkerLost(f: (why: string, gpuLost: boolean) => void): void {
  lostListeners.add(f);
}

/** A training step's time, so a slow step is not taken for a dead worker. */
export function stepTook(ms: number): void {
  current?.liveness.step(ms);
}

export function worker(): Comlink.Remote<WorkerApi> {
  if (!current) current = start();
  return current.api;
}

function start(): Current {
  const w = new Worker(new URL('../workers/worker.ts', import.meta.url), { type: 'module', name: 'vicreg-worker' });
  const remote = Comlink.wrap<WorkerApi>(w);
  const liveness = new Liveness(performance.now());
  let lose!: (e: Error) => void;
  const lost = new Promise<never>((_, reject) => (lose = reject));
  lost.catch(() => {}); // the calls in flight take it up
  let pinging = false;
  const beat = setInterval(() => {
    if (liveness.dead(performance.now()))
      return die(
        `the training worker stopped answering for ${(liveness.allowanceMs() / 1000).toFixed(0)} s: it ran out of memory or crashed`,
      );
    if (pinging) return;
    pinging = true;
    void remote
      .ping()
      .then(
        () => liveness.heard(performance.now()),
        () => {},
      )
      .finally(() => (pinging = false));
  }, PING_EVERY_MS);
  const die = (why: string, gpuLost = false) => {
    if (current?.w !== w) return;
    clearInterval(beat);
    w.terminate();
    current = null;
    lose(new WorkerLost(why));
    for (const f of lostListeners) f(why, gpuLost);
  };
  w.addEventListener('message', (e: MessageEvent) => {
    liveness.heard(performance.now());
    const data = e.data as { type?: string; why?: string } | null;
    if (data?.type === GPU_LOST) die(`the GPU device was lost (${data.why ?? 'no reason given'}), and the training worker with it`, true);
  });
  w.addEventListener('error', (e) => {
    e.preventDefault();
    die(`the training worker stopped: ${e.message || 'an error outside any call'} (out of memory?)`);
  });
  w.addEventListener('messageerror', () => die('the training worker sent a message that could not be read'));
  // Every call races the worker's death, so none waits forever on a dead worker.
  const api = new Proxy(remote, {
    get(target, name) {
      const method = Reflect.get(target, name) as unknown;
      if (typeof name !== 'string' || typeof method !== 'function') return method;
      return (...args: unknown[]) => Promise.race([(method as (...a: unknown[]) => Promise<unknown>)(...args), lost]);
    },
  });
  return { w, api, liveness };
}

/** A second worker of the same code, on its own, for work that must not touch the training
 *  worker's TF.js (timing the backends switches between them): its API and a way to end it. */
export function spareWorker(name: string): { api: Comlink.Remote<WorkerApi>; end: () => void } {
  const w = new Worker(new URL('../workers/worker.ts', import.meta.url), { type: 'module', name });
  return { api: Comlink.wrap<WorkerApi>(w), end: () => w.terminate() };
}

/** Wraps a UI callback so the worker can call it across the boundary. */
export const callback = <T extends (...args: never[]) => unknown>(f: T) => Comlink.proxy(f);

/** Hands `buffers` to the worker instead of copying them; they are empty on this side after the call. */
export const transfer = <T>(value: T, buffers: Transferable[]) => Comlink.transfer(value, buffers);

/** Absolute URL of the app's public/ root, for the worker's fetches. */
export const publicBase = () => new URL(import.meta.env.BASE_URL, location.href).href;
