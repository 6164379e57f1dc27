import type { StateCreator } from 'zustand';
import type { BackendReport, KernelCheckReport, MeasureProgress, MeasureSpec } from '../../workers/contract/api';
import type { BackendName } from '../../workers/contract/config';
import type { Store } from '../store';

export type BackendTiming =
  | { status: 'timing'; guessed: BackendName; progress: (MeasureProgress & { at: number }) | null }
  | { status: 'paused'; guessed: BackendName; progress: null }
  | {
      status: 'done';
      guessed: BackendName;
      fastest: BackendName;
      times: Partial<Record<BackendName, number>>;
      switched: boolean;
      progress: null;
    }
  | { status: 'failed'; guessed: BackendName; error: string; progress: null };

export interface BackendSlice {
  backend: BackendReport | null;
  backendStatus: 'selecting' | 'ready' | 'failed';
  backendError: string | null;
  /** While auto measures: the backend being timed, how far, and when this backend started (ms, performance.now()). */
  backendProgress: (MeasureProgress & { at: number }) | null;
  /** The model auto timed the backends with (the model card scales its ms per image by FLOPs). */
  backendSpec: MeasureSpec | null;
  /** The WebGPU adapter's buffer limits (the model card checks tensors against them), or null. */
  gpuLimits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | null;
  /** A first visit's timing of every backend, in a worker of its own beside the guess the studio
   *  started on (src/backend/actions.ts timeBackends); null when none ran. */
  backendTiming: BackendTiming | null;
  /** The last "Check kernels" on the active backend (cleared when the backend changes). */
  kernelCheck: { status: 'running' | 'done' | 'failed'; report?: KernelCheckReport; error?: string } | null;
  setBackend: (report: BackendReport | null, status: BackendSlice['backendStatus'], error?: string) => void;
}

export const createBackendSlice: StateCreator<Store, [], [], BackendSlice> = (set) => ({
  backend: null,
  backendStatus: 'selecting',
  backendError: null,
  backendProgress: null,
  backendSpec: null,
  gpuLimits: null,
  kernelCheck: null,
  backendTiming: null,
  setBackend: (backend, backendStatus, error) =>
    set({
      backend,
      backendStatus,
      backendError: error ?? null,
      kernelCheck: null,
      ...(backendStatus !== 'selecting' && { backendProgress: null }),
    }),
});
