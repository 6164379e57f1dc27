// The labels the panel would give each image: a named selection's, else its cluster's, else the
// class it has.
import type { EmbedState } from './slice';

/** Each image's label as the panel would apply it: a selection's name, else its cluster's, else
 *  the class it has; null where none of these gives one. */
export function draftLabels(e: Pick<EmbedState, 'set' | 'named' | 'clusters' | 'clusterNames'>): (string | null)[] {
  const set = e.set;
  if (!set) return [];
  return Array.from({ length: set.count }, (_, i) => {
    if (e.named[i] !== undefined) return e.named[i];
    if (e.clusters) return e.clusterNames[e.clusters.assign[i]]?.trim() || `cluster ${e.clusters.assign[i] + 1}`;
    return set.labels[i] >= 0 ? set.classes[set.labels[i]] : null;
  });
}
