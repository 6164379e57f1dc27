// The worker's backend calls (BackendApi in ../contract/api.ts): choosing a backend, checking its
// kernels, and what the UI asks of the worker itself (a heartbeat, its memory).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GPU_LOST, type BackendApi } from '../contract/api';
import { disposeRun, features, requireIdle, state } from './state';
import { checkKernels } from '../backend/kernel-check';
import { selectBackend, watchGpuDevice } from '../backend/select';

export const backendApi: BackendApi = {
  async selectBackend(choice, spec, prefer, exclude, onProgress, options) {
    requireIdle('changing the backend');
    // Tensors belong to one backend; anything held is rebuilt on the new one.
    disposeRun();
    features.clear();
    state.selecting = true;
    try {
      state.backend = await selectBackend(choice, spec, prefer, exclude, onProgress, options);
    } finally {
      state.selecting = false;
    }
    // A lost GPU device leaves this worker unusable: the page replaces it (src/bridge.ts).
    state.gpu = watchGpuDevice((why) => self.postMessage({ type: GPU_LOST, why }));
    return state.backend;
  },
  async checkKernels() {
    requireIdle('checking kernels');
    // The check switches TF.js to the CPU backend between cases: nothing else may compute meanwhile.
    if (state.evaluations > 0) throw new Error('wait for the evaluation to finish before checking kernels');
    if (!state.backend) throw new Error('select a backend first');
    return checkKernels();
  },
  ping: async () => true as const,
  async memory() {
    const m = tf.memory();
    const heap =
      tf.getBackend() === 'wasm' ? ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength : null;
    return { tensors: m.numTensors, bytes: m.numBytes, wasmHeapBytes: heap };
  },
};
