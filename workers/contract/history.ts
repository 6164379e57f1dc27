// The metric history (loss terms, diagnostics, online k-NN points) kept by a checkpoint, so a resumed
// run's charts continue where they broke, and by the UI, so a week-long run does not grow the page.
// Bounded and uniform: past `limit` records only the steps on a grid (multiples of the smallest
// power-of-two stride that fits) are kept, with the first and the newest record, so a run of any
// length keeps at most `limit` records spread evenly over all of it. The grid of a longer stride
// is a subset of a shorter one's, so thinning again never loses the evenness.
export const HISTORY_LIMIT = 2000;

export function appendHistory<T extends { step: number }>(history: T[], records: T[], limit = HISTORY_LIMIT): T[] {
  const all = history.concat(records);
  if (all.length <= limit) return all;
  const end = all.length - 1;
  for (let stride = 2; ; stride *= 2) {
    const kept = all.filter((r, i) => i === 0 || i === end || r.step % stride === 0);
    if (kept.length <= limit || stride > 2 ** 40) return kept;
  }
}
