// The one way the studio replaces a kernel of TF.js's WASM backend (register.ts): the new kernel
// keeps the old one's setupFunc (it binds the C++ function when the backend starts) and can fall
// back to the old one for the cases it does not take.
import * as tf from '@tensorflow/tfjs';

const originals = new Map<string, tf.KernelConfig>();

/** Registers `kernelFunc` for `name` on wasm in place of the backend's own; safe to call again. */
export function replaceWasmKernel(name: string, kernelFunc: tf.KernelFunc): void {
  const current = tf.getKernel(name, 'wasm');
  if (!current || current.kernelFunc === kernelFunc) return;
  originals.set(name, current);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: current.setupFunc, disposeFunc: current.disposeFunc });
}

/** The kernel `replaceWasmKernel` replaced for `name`, to fall back to. */
export function originalWasmKernel(name: string): tf.KernelFunc {
  const k = originals.get(name);
  if (!k) throw new Error(`no replaced WASM kernel ${name}`);
  return k.kernelFunc;
}
