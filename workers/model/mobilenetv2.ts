// MobileNetV2 (Sandler et al. 2018) as torchvision's mobilenetv2.py without the classifier: a 3×3
// stride-2 conv, the inverted residuals of MOBILENETV2_SETTINGS (1×1 expansion, 3×3 depthwise, 1×1
// linear projection; a skip when stride 1 and the width is kept), a 1×1 conv to 1280 channels and
// global average pooling. ReLU6 throughout. Names follow torchvision's `features` list.
import * as tf from '@tensorflow/tfjs';
import { mobilenetV2Plan, type ConvPlan } from './arch';
import { blockSegments, pooledEncoder, type Encoder, type Segment } from './encoder';
import { batchNorm, batchNormParams, conv, convKernel, depthwiseKernel, type BatchNorm, type ParamStore } from './layers';

interface Layer {
  plan: ConvPlan; // ReLU6 after the BN where plan.relu; not after the linear projection
  kernel: tf.Variable; // [k, k, cin, cout], or depthwise [3, 3, c, 1]
  bn: BatchNorm;
}

function layer(store: ParamStore, p: ConvPlan): Layer {
  const kernel = p.depthwise
    ? depthwiseKernel(store, `${p.name}.weight`, p.k, p.cin)
    : convKernel(store, `${p.name}.weight`, p.k, p.cin, p.cout);
  return { plan: p, kernel, bn: batchNormParams(store, p.bn!, p.cout) };
}

function applyLayer(x: tf.Tensor4D, l: Layer, training: boolean): tf.Tensor4D {
  const { depthwise, stride, k, relu } = l.plan;
  const pad = Math.floor(k / 2);
  const y = depthwise ? tf.depthwiseConv2d(x, l.kernel as tf.Tensor4D, stride, pad) : conv(x, l.kernel, stride, pad);
  const n = batchNorm(y, l.bn, training) as tf.Tensor4D;
  return relu ? tf.relu6(n) : n;
}

export function mobilenetV2(store: ParamStore, widthMult: number): Encoder {
  const plan = mobilenetV2Plan(widthMult);
  const first = layer(store, plan.firstConv);
  const blocks = plan.blocks.map((p) => ({ layers: p.convs.map((c) => layer(store, c)), residual: p.residual }));
  const last = layer(store, plan.lastConv);
  const maps: Segment[] = [
    (x, training) => applyLayer(x as tf.Tensor4D, first, training),
    ...blockSegments(blocks, (h, b, training) => {
      const y = b.layers.reduce((t, l) => applyLayer(t, l, training), h);
      return b.residual ? tf.add(h, y) : y;
    }),
    (h, training) => applyLayer(h as tf.Tensor4D, last, training),
  ];
  return pooledEncoder(plan.last, maps);
}
