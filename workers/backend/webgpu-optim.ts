// SGD's step (workers/optim/sgd-step.ts) on TF.js 4.22's WebGPU backend: two dispatches a
// parameter (the momentum, then the parameter from it) where the composite route took four to
// six. A TF.js program writes one output, hence two.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SGD_STEP, type SgdStepAttrs } from '../optim/sgd-step';
import { FlatProgram, float } from './webgpu-program';

class Elementwise extends FlatProgram {
  constructor(
    shape: number[],
    public variableNames: string[],
    public uniforms: string,
    public shaderKey: string,
    private readonly expression: string,
  ) {
    super(shape);
  }
  getUserCode() {
    return `
    fn main(i : i32) {
      if (i < uniforms.size) { setOutputAtIndex(i, ${this.expression}); }
    }`;
  }
}

function sgdStep({
  inputs: { p, m, g },
  backend,
  attrs,
}: {
  inputs: Record<string, tf.TensorInfo>;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) {
  const b = backend as WebGPUBackend;
  const { lr, momentum, weightDecay } = attrs as unknown as SgdStepAttrs;
  const decay = weightDecay !== 0;
  const nextM = b.runWebGPUProgram(
    new Elementwise(
      p.shape,
      decay ? ['p', 'm', 'g'] : ['m', 'g'],
      'momentum : f32, weightDecay : f32,',
      `vicreg_sgd_m_${decay}`,
      `m[i] * uniforms.momentum + ${decay ? '(g[i] + p[i] * uniforms.weightDecay)' : 'g[i]'}`,
    ),
    decay ? [p, m, g] : [m, g],
    'float32',
    [float(momentum), float(weightDecay)],
  );
  const nextP = b.runWebGPUProgram(
    new Elementwise(p.shape, ['p', 'nextM'], 'lr : f32,', 'vicreg_sgd_p', 'p[i] - nextM[i] * uniforms.lr'),
    [p, nextM],
    'float32',
    [float(lr)],
  );
  return [nextM, nextP];
}

/** Registers the step on webgpu; safe to call again. */
export function registerWebgpuOptim(): void {
  if (!tf.getKernel(SGD_STEP, 'webgpu'))
    tf.registerKernel({ kernelName: SGD_STEP, backendName: 'webgpu', kernelFunc: sgdStep as unknown as tf.KernelFunc });
}
