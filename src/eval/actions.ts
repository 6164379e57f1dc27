// The feature map and neighbour gallery actions (k-NN and the probe: src/actions.ts). Module level,
// writing the store with setState, as the other actions.
import { callback, worker } from '../bridge';
import { useStore } from '../store';
import { closedGallery } from './slice';
import { errorMessage } from '../../workers/contract/errors';

export async function drawFeatureMap(): Promise<void> {
  const { config, setFeatureMap, setGallery } = useStore.getState();
  const startedMs = performance.now();
  setFeatureMap({ status: 'running', error: null, progress: { done: 0, total: 1, startedMs } });
  setGallery(closedGallery);
  const onProgress = callback((done: number, total: number) => useStore.getState().setFeatureMap({ progress: { done, total, startedMs } }));
  try {
    const map = await worker().featureMap(config, onProgress);
    useStore.getState().setFeatureMap({ status: 'done', map, progress: null });
  } catch (e) {
    useStore.getState().setFeatureMap({ status: 'failed', error: errorMessage(e), progress: null });
  }
}

/** Opens the gallery of test image `test` (a position in the test split) of the map on screen. */
export async function openNeighbours(test: number): Promise<void> {
  const { featureMap, config, setGallery } = useStore.getState();
  if (!featureMap.map) return;
  setGallery({ status: 'loading', test, error: null });
  try {
    const gallery = await worker().neighbours(featureMap.map.key, test, config.knnK);
    // A later click wins over an earlier answer.
    if (useStore.getState().gallery.test === test) setGallery({ status: 'done', gallery });
  } catch (e) {
    if (useStore.getState().gallery.test === test) setGallery({ status: 'failed', error: errorMessage(e) });
  }
}

export const closeNeighbours = () => useStore.getState().setGallery(closedGallery);
