// Every WebGPU kernel of the studio, registered in one place: the filter gradient (webgpu-grads.ts),
// BatchNorm + ReLU in training mode (webgpu-batchnorm.ts) and SGD's step (webgpu-optim.ts).
import { registerWebgpuBatchNorm } from './webgpu-batchnorm';
import { registerWebgpuGradKernels } from './webgpu-grads';
import { registerWebgpuOptim } from './webgpu-optim';

/** Registers them once TF.js's WebGPU backend has registered its own; safe to call again. */
export function registerWebgpuKernels(): void {
  registerWebgpuGradKernels();
  registerWebgpuBatchNorm();
  registerWebgpuOptim();
}
