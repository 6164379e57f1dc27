// DepthwiseConv2dNativeBackpropInput (depthwise-conv2d-backprop-input.ts) against the CPU
// backend's, on the depthwise geometries of test-kit.ts: channel multipliers 1 and 2, dilations.
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { type Case, DEPTHWISE, dyShapeOf, expectSameOnBoth, label, randomValues, sizeOf, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

/**
 * The cpu kernel ignores `dilations` (its loops step the filter by 1), so a dilated case is
 * checked the long way: a dilation-d filter is the (k−1)·d+1 filter with zeros between its taps,
 * so dx is that filter's dx.
 */
function undilated(c: Case, dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor {
  const d = c.dilations ?? 1;
  const [kh, kw] = [(c.k[0] - 1) * d + 1, (c.k[1] - 1) * d + 1];
  const attrs = { strides: c.strides, pad: c.pad, dilations: 1, dimRoundingMode: c.dimRoundingMode };
  const spread = tf.buffer([kh, kw, c.x[3], c.out]);
  const wv = w.arraySync();
  wv.forEach((row, i) => row.forEach((col, j) => col.forEach((ch, ci) => ch.forEach((v, m) => spread.set(v, i * d, j * d, ci, m)))));
  return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: spread.toTensor() }, {
    ...attrs,
    inputShape: c.x,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('DepthwiseConv2dNativeBackpropInput on wasm matches cpu', () => {
  DEPTHWISE.forEach((c, n) => {
    it(`${label(c)}, multiplier ${c.out}${c.dilations ? `, dilation ${c.dilations}` : ''}`, async () => {
      const dyShape = dyShapeOf(c, true);
      const filterShape = [...c.k, c.x[3], c.out];
      // Seeds 3n + 101…103 for x, dy and the filter, as in depthwise-conv2d-backprop-filter.test.ts.
      const dy = randomValues(sizeOf(dyShape), 3 * n + 102);
      const w = randomValues(sizeOf(filterShape), 3 * n + 103);
      const common = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dimRoundingMode: c.dimRoundingMode };
      const [dyt, wt] = [
        () => tf.tensor4d(dy, dyShape as [number, number, number, number]),
        () => tf.tensor4d(w, filterShape as [number, number, number, number]),
      ];
      const dilated = (c.dilations ?? 1) > 1;
      const inputGrad = () =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyt(), filter: wt() }, {
          ...common,
          inputShape: c.x,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      await expectSameOnBoth('DepthwiseConv2dNativeBackpropInput', inputGrad, dilated ? () => undilated(c, dyt(), wt()) : inputGrad);
    });
  });
});
