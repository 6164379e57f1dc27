// What the studio's WGSL programs for TF.js 4.22's WebGPU backend share (webgpu-grads.ts,
// webgpu-optim.ts, webgpu-batchnorm.ts): the one-thread-per-output-value dispatch of
// tfjs-backend-webgpu's own elementwise programs, and the uniforms' values as its runner takes them.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';

/** A program with one thread per value of its flat output, 128 to a workgroup; `uniforms.size` is that count. */
export abstract class FlatProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract uniforms: string;
  abstract shaderKey: string;
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }
  abstract getUserCode(): string;
}

/** An i32 uniform's value for runWebGPUProgram. */
export const int = (v: number) => ({ type: 'int32', data: [v] });
/** An f32 uniform's value for runWebGPUProgram. */
export const float = (v: number) => ({ type: 'float32', data: [v] });
