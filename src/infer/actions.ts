// Inference: new images through the evaluated weights. Module level, as the other actions
// (src/backend/actions.ts); the panel keeps the result itself, so nothing goes to the store.
import { callback, worker } from '../bridge';
import { useStore } from '../store';

/** New images through the evaluated weights (the config's readout and k-NN settings). */
export function inferImages(files: File[], onProgress: (done: number, total: number) => void) {
  return worker().infer(files, useStore.getState().config, callback(onProgress));
}
