// How many files to hand the worker in one message while a folder is read. Posting a File costs
// the page a synchronous file stat each (Chromium snapshots its size and date when it is
// serialized, or when .size is first read): 0.3-0.4 ms a file on 2 busy cores, 1-2 s for 5,000
// (measured in test/e2e/ingest-longtask.spec.ts). So the list goes in batches sized from the last
// one's time, each in a task of its own, to keep every task of the page under 50 ms (the
// long-task threshold, https://w3c.github.io/longtasks/).

/** Time one batch may take, well under 50 ms: a stat is a synchronous round trip to the browser
 *  process, and on busy cores one batch took 4× what the one before it did. */
export const BATCH_TARGET_MS = 4;
export const FIRST_BATCH = 4;
/** 16 files at 0.4 ms is 6 ms: a batch at the cap still fits 50 ms when the next stats are 8× slower
 *  (seen with other browsers busy on the same 2 cores). */
export const MAX_BATCH = 16;

/** The next batch's size from the last one's size and time: scaled to the target, growing at most
 *  twofold a time and shrinking at once, never under 1. */
export function nextBatchSize(size: number, ms: number, targetMs = BATCH_TARGET_MS): number {
  const fit = ms > 0 ? Math.floor((size * targetMs) / ms) : size * 2;
  return Math.max(1, Math.min(fit, size * 2, MAX_BATCH));
}
