// Work put off until the page is idle after its first screen: fetching the panels below it
// (src/App.tsx) and drawing the Train panel's charts (src/train/TrainPanel.tsx).

/** Calls `f` once the page is idle, at the latest after `timeoutMs`; where the browser has no
 *  requestIdleCallback (Safari), after `fallbackMs`. */
export function whenIdle(f: () => void, timeoutMs: number, fallbackMs: number): void {
  // Not in every lib.dom TypeScript ships with a browser that lacks it, so read it as optional.
  const ric = (globalThis as { requestIdleCallback?: (f: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (ric) ric(f, { timeout: timeoutMs });
  else setTimeout(f, fallbackMs);
}
