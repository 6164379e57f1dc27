// Several tabs of the studio share one IndexedDB. Two rules keep them from corrupting a run:
// a run trains (or resumes) in one tab at a time, under a Web Lock named after it; and every
// change to the stored runs is announced on a BroadcastChannel, so the other tabs list them anew.
// The store's writes are transactions (./store.ts), so what a tab reads is always whole.

import { RUN_OPEN_ELSEWHERE, RUNS_CHANNEL } from '../contract/api';

const lockName = (runId: string) => `vicreg-studio-run:${runId}`;

type Locks = Pick<LockManager, 'request' | 'query'>;
const locks = (): Locks | null => (typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null);

/** Thrown when a run is already open for training in another tab. */
export class RunOpenElsewhere extends Error {
  constructor(runName: string) {
    super(
      `run "${runName}" is training in another tab of this browser; stop it there (or close that tab) to continue it here. Its stored checkpoints can still be evaluated and exported here.`,
    );
    this.name = RUN_OPEN_ELSEWHERE;
  }
}

/** Runs `body` holding the run's lock; refuses at once when another tab holds it. */
export async function withRunLock<T>(runId: string, runName: string, body: () => Promise<T>, l: Locks | null = locks()): Promise<T> {
  if (!l) return body(); // no Web Locks (old browsers, Node): one tab is all there is
  return l.request(lockName(runId), { ifAvailable: true }, async (lock) => {
    if (!lock) throw new RunOpenElsewhere(runName);
    return body();
  }) as Promise<T>;
}

/** Of `runIds`, those whose lock some tab (this one included) holds now: one query for all. */
export async function openRunIds(runIds: string[], l: Locks | null = locks()): Promise<string[]> {
  if (!l || runIds.length === 0) return [];
  const { held = [] } = await l.query();
  const names = new Set(held.map((h) => h.name));
  return runIds.filter((id) => names.has(lockName(id)));
}

let channel: BroadcastChannel | null | undefined;
/** Tells the other tabs (and this tab's UI) that the stored runs changed. */
export function announceRunsChanged(): void {
  if (channel === undefined) channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(RUNS_CHANNEL);
  channel?.postMessage('changed');
}
