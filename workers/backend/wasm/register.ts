// Every WASM kernel of the studio, registered in one place. TF.js 4.22's WASM backend lacks the conv
// filter gradients and the depthwise input gradient (tensorflow/tfjs#8474), so without them no
// conv net trains there; and it has, but runs far slower than it could, the rest: its
// Conv2DBackpropInput, Tile and BatchMatMul took 2/3 of a training step (Node 20, one thread; our
// model at its defaults), its Sum and Mean a tenth (reduce.ts), its GatherV2 and SplitV over half of
// the augmentation's tensor path (copy.ts). Each kernel's file says why and how.
import * as tf from '@tensorflow/tfjs';
import { BN_RUNNING, BN_TRAIN, BN_TRAIN_GRAD } from '../../model/batchnorm';
import { batchMatMul, fusedMatMul } from './batch-mat-mul';
import { SGD_STEP } from '../../optim/sgd-step';
import { batchNormRunning, batchNormTrain, batchNormTrainGrad } from './batchnorm';
import { conv2d } from './conv2d';
import { conv2DBackpropFilter } from './conv2d-backprop-filter';
import { conv2DBackpropInput } from './conv2d-backprop-input';
import { gatherV2, splitV } from './copy';
import { depthwiseConv2dNativeBackpropFilter } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dNativeBackpropInput } from './depthwise-conv2d-backprop-input';
import { meanKernel, sumKernel } from './reduce';
import { replaceWasmKernel } from './replace';
import { sgdStepKernel } from './sgd-step';
import { tile } from './tile';

const as = (kernelName: string, f: unknown): tf.KernelConfig => ({ kernelName, backendName: 'wasm', kernelFunc: f as tf.KernelFunc });

/** Kernels TF.js 4.22's WASM backend does not have. */
const MISSING = [
  as('Conv2DBackpropFilter', conv2DBackpropFilter),
  as('DepthwiseConv2dNativeBackpropFilter', depthwiseConv2dNativeBackpropFilter),
  as('DepthwiseConv2dNativeBackpropInput', depthwiseConv2dNativeBackpropInput),
];

/** The studio's own fused kernels (workers/model/batchnorm.ts, workers/optim/sgd-step.ts). */
const FUSED = [
  as(BN_TRAIN, batchNormTrain),
  as(BN_TRAIN_GRAD, batchNormTrainGrad),
  as(BN_RUNNING, batchNormRunning),
  as(SGD_STEP, sgdStepKernel),
];

/** Kernels it has but runs far slower than it could (each file says how much slower). */
const REPLACED = [
  as('Conv2D', conv2d),
  as('Sum', sumKernel),
  as('Mean', meanKernel),
  as('GatherV2', gatherV2),
  as('SplitV', splitV),
  as('Conv2DBackpropInput', conv2DBackpropInput),
  as('Tile', tile),
  as('BatchMatMul', batchMatMul),
  as('_FusedMatMul', fusedMatMul),
];

/**
 * Registers the missing kernels, and (unless `replaceSlow` is false) replaces the slow ones once
 * the WASM backend's own are registered. Safe to call more than once.
 */
export function registerWasmGradKernels({ replaceSlow = true } = {}): void {
  for (const k of MISSING) {
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
  for (const k of FUSED) {
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
  if (!replaceSlow) return;
  for (const k of REPLACED) replaceWasmKernel(k.kernelName, k.kernelFunc);
}
