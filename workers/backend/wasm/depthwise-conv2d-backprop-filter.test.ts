// DepthwiseConv2dNativeBackpropFilter (depthwise-conv2d-backprop-filter.ts) against the CPU
// backend's, on the depthwise geometries of test-kit.ts: channel multipliers 1 and 2, dilations.
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { type Case, DEPTHWISE, dyShapeOf, expectSameOnBoth, label, randomValues, sizeOf, setUpWasmKernels } from './test-kit';

setUpWasmKernels();

/**
 * The cpu kernel ignores `dilations` (its loops step the filter by 1), so a dilated case is
 * checked the long way: a dilation-d filter is the (k−1)·d+1 filter with zeros between its taps,
 * so dW is every d-th tap of that filter's dW.
 */
function undilated(c: Case, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const d = c.dilations ?? 1;
  const [kh, kw] = [(c.k[0] - 1) * d + 1, (c.k[1] - 1) * d + 1];
  const attrs = { strides: c.strides, pad: c.pad, dilations: 1, dimRoundingMode: c.dimRoundingMode };
  const full = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
    ...attrs,
    filterShape: [kh, kw, c.x[3], c.out],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [d, d, 1, 1]);
}

describe('DepthwiseConv2dNativeBackpropFilter on wasm matches cpu', () => {
  DEPTHWISE.forEach((c, n) => {
    it(`${label(c)}, multiplier ${c.out}${c.dilations ? `, dilation ${c.dilations}` : ''}`, async () => {
      const dyShape = dyShapeOf(c, true);
      const filterShape = [...c.k, c.x[3], c.out];
      // Seeds 3n + 101…103 for x, dy and the filter, as in depthwise-conv2d-backprop-input.test.ts.
      const x = randomValues(sizeOf(c.x), 3 * n + 101);
      const dy = randomValues(sizeOf(dyShape), 3 * n + 102);
      const common = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dimRoundingMode: c.dimRoundingMode };
      const [xt, dyt] = [
        () => tf.tensor4d(x, c.x as [number, number, number, number]),
        () => tf.tensor4d(dy, dyShape as [number, number, number, number]),
      ];
      const dilated = (c.dilations ?? 1) > 1;
      const filterGrad = () =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xt(), dy: dyt() }, {
          ...common,
          filterShape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      await expectSameOnBoth('DepthwiseConv2dNativeBackpropFilter', filterGrad, dilated ? () => undilated(c, xt(), dyt()) : filterGrad);
    });
  });
});
