// Work put off until the page is idle after its first screen: fetching the panels below it
// (src/App.tsx) and drawing the Train panel's charts (src/train/TrainPanel.tsx).

/** Calls `f` once the page is idle, at the latest after `timeoutMs`; where the browser has no
 *  requestIdleCallback (Safari), after `fallbackMs`. */
export function whenIdle(f: () => void, timeoutMs: number, fallbackMs: number): void {
  // TypeScript's DOM types declare it always, but Safari has none: read as optional.
  const ric = (globalThis as { requestIdleCallback?: (f: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (ric) ric(f, { timeout: timeoutMs });
  else setTimeout(f, fallbackMs);
}
