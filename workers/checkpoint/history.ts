// The metric history (loss terms, online k-NN points) a checkpoint carries, so a resumed run's charts continue where they broke.
// Bounded: past `limit` records, every other one is dropped (oldest first, the newest always
// kept), so a run of any length stores at most `limit` records spread over all of it.
export const HISTORY_LIMIT = 2000;

export function appendHistory<T>(history: T[], records: T[], limit = HISTORY_LIMIT): T[] {
  let out = history.concat(records);
  while (out.length > limit) {
    const last = out[out.length - 1];
    out = out.filter((_, i) => i % 2 === 0);
    if (out[out.length - 1] !== last) out.push(last);
  }
  return out;
}
