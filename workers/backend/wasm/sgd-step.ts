// SGD's step (workers/optim/sgd-step.ts) on the WASM backend: the native kernel (native/kernels.c
// sgd_step, SIMD multiplies and adds in the composite route's order), or, without the native
// kernels, the same loop in JavaScript on the heap.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type SgdStepAttrs, sgdStep } from '../../optim/sgd-step';
import type { Info, KernelArgs } from './heap';
import { nativeKernels, offsetOf } from './native/module';

export function sgdStepKernel({ inputs: { p, m, g }, backend: b, attrs }: KernelArgs<'p' | 'm' | 'g'>): Info[] {
  const backend = b as BackendWasm;
  const a = attrs as unknown as SgdStepAttrs;
  const nextM = backend.makeOutput(p.shape, 'float32');
  const nextP = backend.makeOutput(p.shape, 'float32');
  const k = nativeKernels(backend)?.exports;
  if (k) {
    const at = (t: Info) => offsetOf(backend, t);
    const n = p.shape.reduce((x, d) => x * d, 1);
    k.sgd_step(at(p), at(m), at(g), at(nextM), at(nextP), n, a.lr, a.momentum, a.weightDecay);
    return [nextM, nextP];
  }
  const h = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array; // views after the allocations
  const r = sgdStep(h(p), h(m), h(g), a);
  h(nextM).set(r.nextM);
  h(nextP).set(r.nextP);
  return [nextM, nextP];
}
