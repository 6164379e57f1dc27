// One SGD step of one parameter as one kernel: torch.optim.SGD with momentum, dampening 0 and
// coupled weight decay (main_vicreg.py's LARS ends with the same heavy-ball step):
//   g' = g + wd·p;  m' = momentum·m + g';  p' = p − lr·m'.
// Composed from TF.js ops it is four to six elementwise kernels a parameter, about a hundred a
// default step: GPU dispatches that cost launch overhead for a few hundred thousand values. The
// CPU backend runs it here (the loop below), WASM as a native kernel (backend/wasm/sgd-step.ts),
// WebGPU in WGSL (backend/webgpu-optim.ts); WebGL takes the composite route (optimizers.ts).
import * as tf from '@tensorflow/tfjs';

export const SGD_STEP = 'VicregSgdStep';

/** SGD_STEP: inputs { p, m, g }, outputs [m', p']. */
export interface SgdStepAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** The step on plain arrays, rounded to float32 after every operation as the composite route's
 *  scalar tensors and kernels round it: the same bits on the CPU backend. */
export function sgdStep(p: ArrayLike<number>, m: ArrayLike<number>, g: ArrayLike<number>, a: SgdStepAttrs) {
  const f = Math.fround;
  const [lr, momentum, wd] = [f(a.lr), f(a.momentum), f(a.weightDecay)];
  const nextM = new Float32Array(p.length);
  const nextP = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const grad = wd === 0 ? g[i] : f(g[i] + f(p[i] * wd));
    nextM[i] = f(f(m[i] * momentum) + grad);
    nextP[i] = f(p[i] - f(nextM[i] * lr));
  }
  return { nextM, nextP };
}

type Args = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };

function cpuKernel({ inputs: { p, m, g }, backend, attrs }: Args): tf.TensorInfo[] {
  const b = backend as {
    data: { get(id: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  };
  const v = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  const r = sgdStep(v(p), v(m), v(g), attrs as unknown as SgdStepAttrs);
  return [b.makeTensorInfo(p.shape, 'float32', r.nextM), b.makeTensorInfo(p.shape, 'float32', r.nextP)];
}

for (const [backendName, kernelFunc] of [['cpu', cpuKernel]] as const) {
  if (!tf.getKernel(SGD_STEP, backendName))
    tf.registerKernel({ kernelName: SGD_STEP, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Off: the composite route everywhere (tests compare the two). */
export const sgdStepOptions = { enabled: true };

/** Whether the active backend runs the fused step. */
export const fusedSgdStep = () => sgdStepOptions.enabled && tf.getKernel(SGD_STEP, tf.getBackend()) !== undefined;
