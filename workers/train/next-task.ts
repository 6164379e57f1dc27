// The one way the worker's long loops yield to its message loop (Pause, Stop, Cancel, the
// liveness ping), shared by the trainer and the evaluations.

/**
 * A worker's message loop only runs between macrotasks, and on WASM a tensor's data() resolves in a
 * microtask: a loop that only awaits data() never lets a message in (a fine-tune of minutes once
 * missed the liveness ping and was taken for a crashed worker). Yielding lets Pause, Stop and Cancel in.
 * Through a MessageChannel rather than setTimeout(0): a chain of timeouts each set from the last is
 * clamped to at least 4 ms from the sixth on (HTML, timer initialisation steps), and the loop's
 * yield measured 12.6 ms a step that way (bench/loop.ts), 5% of a default step.
 */
export const nextTask: () => Promise<void> = (() => {
  // Node (tests, tools/train-node.ts): setImmediate, as a port there drains every message posted
  // while it drains, which would starve the timers.
  const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
  if (immediate) return () => new Promise<void>((r) => immediate(r));
  if (typeof MessageChannel === 'undefined') return () => new Promise<void>((r) => setTimeout(r, 0));
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((r) => {
      waiting.push(r);
      channel.port2.postMessage(null);
    });
})();
