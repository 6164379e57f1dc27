// Words for settings, shared by the worker's messages and the UI (no TF.js, no DOM).
import type { TrainConfig } from './config';

/** The features an evaluation reads, in words: "backbone, 4×4 grid", "backbone, global pool", "projector". */
export function featuresLabel(r: Pick<TrainConfig, 'featLayer'> & { featPool?: TrainConfig['featPool'] }): string {
  if (r.featLayer === 'proj') return 'projector';
  const pool = r.featPool ?? 'global';
  return pool === 'global' ? 'backbone, global pool' : `backbone, ${pool.replace('x', '×')} grid`;
}
