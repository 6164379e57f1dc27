// MobileNetV2 (Sandler et al. 2018) as torchvision's mobilenetv2.py without the classifier: a 3×3
// stride-2 conv, the inverted residuals of MOBILENETV2_SETTINGS (1×1 expansion, 3×3 depthwise, 1×1
// linear projection; a skip when stride 1 and the width is kept), a 1×1 conv to 1280 channels and
// global average pooling. ReLU6 throughout. Names follow torchvision's `features` list.
import * as tf from '@tensorflow/tfjs';
import { mobilenetV2Plan, type InvertedResidualPlan } from './arch';
import { pooledEncoder, type Encoder, type Segment } from './encoder';
import { batchNorm, batchNormParams, conv, convKernel, depthwiseKernel, type BatchNorm, type ParamStore } from './layers';

interface Layer {
  kernel: tf.Variable; // [k, k, cin, cout], or depthwise [3, 3, c, 1]
  bn: BatchNorm;
  kind: 'conv1' | 'conv3' | 'depthwise';
  stride: number;
  act: boolean; // ReLU6 after the BN; not after the linear projection
}

function applyLayer(x: tf.Tensor4D, l: Layer, training: boolean): tf.Tensor4D {
  const y =
    l.kind === 'depthwise'
      ? tf.depthwiseConv2d(x, l.kernel as tf.Tensor4D, l.stride, 1)
      : conv(x, l.kernel, l.stride, l.kind === 'conv3' ? 1 : 0);
  const n = batchNorm(y, l.bn, training) as tf.Tensor4D;
  return l.act ? tf.relu6(n) : n;
}

function invertedResidual(store: ParamStore, p: InvertedResidualPlan): Layer[] {
  const n = `backbone.features.${p.index}.conv`;
  const layers: Layer[] = [];
  // torchvision numbers the Sequential: [ConvBNReLU(expand)], ConvBNReLU(dw), conv (project), BN.
  let at = 0;
  if (p.expand) {
    layers.push({
      kernel: convKernel(store, `${n}.0.0.weight`, 1, p.cin, p.hidden),
      bn: batchNormParams(store, `${n}.0.1`, p.hidden),
      kind: 'conv1',
      stride: 1,
      act: true,
    });
    at = 1;
  }
  layers.push({
    kernel: depthwiseKernel(store, `${n}.${at}.0.weight`, 3, p.hidden),
    bn: batchNormParams(store, `${n}.${at}.1`, p.hidden),
    kind: 'depthwise',
    stride: p.stride,
    act: true,
  });
  layers.push({
    kernel: convKernel(store, `${n}.${at + 1}.weight`, 1, p.hidden, p.cout),
    bn: batchNormParams(store, `${n}.${at + 2}`, p.cout),
    kind: 'conv1',
    stride: 1,
    act: false,
  });
  return layers;
}

export function mobilenetV2(store: ParamStore, widthMult: number): Encoder {
  const plan = mobilenetV2Plan(widthMult);
  const first: Layer = {
    kernel: convKernel(store, 'backbone.features.0.0.weight', 3, 3, plan.first),
    bn: batchNormParams(store, 'backbone.features.0.1', plan.first),
    kind: 'conv3',
    stride: 2,
    act: true,
  };
  const blocks = plan.blocks.map((p) => ({ layers: invertedResidual(store, p), residual: p.residual }));
  const lastIndex = plan.blocks.length + 1;
  const lastCin = plan.blocks[plan.blocks.length - 1].cout;
  const last: Layer = {
    kernel: convKernel(store, `backbone.features.${lastIndex}.0.weight`, 1, lastCin, plan.last),
    bn: batchNormParams(store, `backbone.features.${lastIndex}.1`, plan.last),
    kind: 'conv1',
    stride: 1,
    act: true,
  };
  const maps: Segment[] = [
    (x, training) => applyLayer(x as tf.Tensor4D, first, training),
    ...blocks.map(
      (b): Segment =>
        (h, training) => {
          const y = b.layers.reduce((t, l) => applyLayer(t, l, training), h as tf.Tensor4D);
          return b.residual ? tf.add(h, y) : y;
        },
    ),
    (h, training) => applyLayer(h as tf.Tensor4D, last, training),
  ];
  return pooledEncoder(plan.last, maps);
}
