// The encoder and the projector as TF.js layers models, so the weights leave the studio in a
// format `tf.loadLayersModel` reads anywhere (browser, Node). Each layer mirrors the studio's own
// op: Conv2D without bias = tf.conv2d 'same'; BatchNormalization (epsilon as the model's) in inference =
// tf.batchNorm with the running statistics; Dense = the fused matMul. The weights are the
// checkpoint's, copied by their stable names.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { mobilenetV2Plan, RESNETS, resnetPlan, resnetV2Plan, type ResnetName } from '../model/arch';
import { parseSpec } from '../model/projector';
import type { Checkpoint } from './record';

import { KERAS_BN, TORCH_BN } from '../model/layers';

type Lookup = (name: string) => tf.Tensor;

export function lookupFor(c: Checkpoint): Lookup {
  const byName = new Map(c.meta.model.map((e) => [e.name, e]));
  return (name) => {
    const e = byName.get(name);
    if (!e) throw new Error(`the checkpoint has no ${name}`);
    const n = e.shape.reduce((a, b) => a * b, 1);
    return tf.tensor(c.data.subarray(e.offset, e.offset + n), e.shape, 'float32');
  };
}

function bn(
  h: tf.SymbolicTensor,
  name: string,
  weights: [string, tf.Tensor[]][],
  get: Lookup,
  epsilon: number = TORCH_BN.eps,
): tf.SymbolicTensor {
  weights.push([name, [get(`${name}.weight`), get(`${name}.bias`), get(`${name}.running_mean`), get(`${name}.running_var`)]]);
  return tf.layers.batchNormalization({ epsilon, name }).apply(h) as tf.SymbolicTensor;
}

/** workers/model/encoder.ts smallCnn: [B, H, W, 3] (any H, W) -> [B, 8·width]. */
function smallCnnLayers(config: TrainConfig, get: Lookup): Built {
  const weights: [string, tf.Tensor[]][] = [];
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  let h = input;
  [1, 2, 2, 2].forEach((strides, i) => {
    const name = `backbone.conv${i + 1}`;
    weights.push([name, [get(`${name}.weight`)]]);
    h = tf.layers
      .conv2d({ filters: config.width * 2 ** i, kernelSize: 3, strides, padding: 'same', useBias: false, name })
      .apply(h) as tf.SymbolicTensor;
    h = bn(h, `backbone.bn${i + 1}`, weights, get);
    h = tf.layers.reLU({ name: `backbone.relu${i + 1}` }).apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: h, name: 'encoder' }), weights };
}

type Built = { model: tf.LayersModel; weights: [string, tf.Tensor[]][] };
type Sym = tf.SymbolicTensor;

/**
 * torch's conv with symmetric padding ⌊k/2⌋ (workers/model/layers.ts `conv`) as ZeroPadding2D +
 * a 'valid' Conv2D: TF's 'same' pads asymmetrically at stride 2 and would shift every feature.
 */
function torchConv(
  h: Sym,
  name: string,
  k: number,
  filters: number,
  strides: number,
  weights: Built['weights'],
  get: Lookup,
  depthwise = false,
  useBias = false,
): Sym {
  const pad = Math.floor(k / 2);
  if (pad > 0) h = tf.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(h) as Sym;
  weights.push([name, useBias ? [get(`${name}.weight`), get(`${name}.bias`)] : [get(`${name}.weight`)]]);
  const layer = depthwise
    ? tf.layers.depthwiseConv2d({ kernelSize: k, strides, padding: 'valid', useBias: false, name })
    : tf.layers.conv2d({ filters, kernelSize: k, strides, padding: 'valid', useBias, name });
  return layer.apply(h) as Sym;
}

const relu = (h: Sym, name: string, maxValue?: number) => tf.layers.reLU({ name, maxValue }).apply(h) as Sym;

/** workers/model/resnet.ts, both stems, basic and bottleneck blocks. */
function resnetLayers(config: TrainConfig, get: Lookup): Built {
  const name = config.backbone as ResnetName;
  const plan = resnetPlan(name, config.widthMult);
  const imagenet = config.stem === 'imagenet';
  const bottleneck = RESNETS[name].block === 'bottleneck';
  const weights: Built['weights'] = [];
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  let h = torchConv(input, 'backbone.conv1', imagenet ? 7 : 3, plan.stem, imagenet ? 2 : 1, weights, get);
  h = relu(bn(h, 'backbone.bn1', weights, get), 'backbone.relu');
  if (imagenet) {
    // max-pool 3×3 / 2 with padding 1: after a ReLU, zero padding equals torch's −∞ padding.
    h = tf.layers.zeroPadding2d({ padding: 1, name: 'backbone.maxpool.pad' }).apply(h) as Sym;
    h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'backbone.maxpool' }).apply(h) as Sym;
  }
  for (const p of plan.blocks) {
    const n = `backbone.${p.name}`;
    const shapes: [number, number, number][] = bottleneck
      ? [
          [1, p.planes, 1],
          [3, p.planes, p.stride],
          [1, p.cout, 1],
        ]
      : [
          [3, p.planes, p.stride],
          [3, p.cout, 1],
        ];
    let y = h;
    shapes.forEach(([k, filters, stride], i) => {
      y = bn(torchConv(y, `${n}.conv${i + 1}`, k, filters, stride, weights, get), `${n}.bn${i + 1}`, weights, get);
      if (i < shapes.length - 1) y = relu(y, `${n}.relu${i + 1}`);
    });
    const shortcut = p.downsample
      ? bn(torchConv(h, `${n}.downsample.0`, 1, p.cout, p.stride, weights, get), `${n}.downsample.1`, weights, get)
      : h;
    h = relu(tf.layers.add({ name: `${n}.add` }).apply([y, shortcut]) as Sym, `${n}.relu`);
  }
  h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as Sym;
  return { model: tf.model({ inputs: input, outputs: h, name: 'encoder' }), weights };
}

/** workers/model/mobilenetv2.ts: ReLU6, depthwise 3×3, linear bottlenecks. */
function mobilenetV2Layers(config: TrainConfig, get: Lookup): Built {
  const plan = mobilenetV2Plan(config.widthMult);
  const weights: Built['weights'] = [];
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  const convBn = (h: Sym, conv: string, norm: string, k: number, filters: number, stride: number, act: boolean, depthwise = false) => {
    const y = bn(torchConv(h, conv, k, filters, stride, weights, get, depthwise), norm, weights, get);
    return act ? relu(y, `${norm}.relu6`, 6) : y;
  };
  let h = convBn(input, 'backbone.features.0.0', 'backbone.features.0.1', 3, plan.first, 2, true);
  for (const p of plan.blocks) {
    const n = `backbone.features.${p.index}.conv`;
    let y = h;
    let at = 0;
    if (p.expand) {
      y = convBn(y, `${n}.0.0`, `${n}.0.1`, 1, p.hidden, 1, true);
      at = 1;
    }
    y = convBn(y, `${n}.${at}.0`, `${n}.${at}.1`, 3, p.hidden, p.stride, true, true);
    y = convBn(y, `${n}.${at + 1}`, `${n}.${at + 2}`, 1, p.cout, 1, false);
    h = p.residual ? (tf.layers.add({ name: `backbone.features.${p.index}.add` }).apply([h, y]) as Sym) : y;
  }
  const last = plan.blocks.length + 1;
  h = convBn(h, `backbone.features.${last}.0`, `backbone.features.${last}.1`, 1, plan.last, 1, true);
  h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as Sym;
  return { model: tf.model({ inputs: input, outputs: h, name: 'encoder' }), weights };
}

/** workers/model/resnetv2.ts: Keras's ResNet50V2 in the layers Keras builds it from. */
function resnetV2Layers(config: TrainConfig, get: Lookup): Built {
  const plan = resnetV2Plan(config.widthMult);
  const imagenet = config.stem === 'imagenet';
  const weights: Built['weights'] = [];
  const conv = (h: Sym, name: string, k: number, filters: number, strides: number, bias: boolean) =>
    torchConv(h, `backbone.${name}`, k, filters, strides, weights, get, false, bias);
  const kbn = (h: Sym, name: string) => bn(h, `backbone.${name}`, weights, get, KERAS_BN.eps);
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  let h = conv(input, 'conv1_conv', imagenet ? 7 : 3, plan.stem, imagenet ? 2 : 1, true);
  if (imagenet) {
    h = tf.layers.zeroPadding2d({ padding: 1, name: 'backbone.pool1_pad' }).apply(h) as Sym;
    h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'backbone.pool1_pool' }).apply(h) as Sym;
  }
  for (const p of plan.blocks) {
    const pre = relu(kbn(h, `${p.name}_preact_bn`), `backbone.${p.name}_preact_relu`);
    const shortcut = p.convShortcut
      ? conv(pre, `${p.name}_0_conv`, 1, p.cout, p.stride, true)
      : p.stride > 1
        ? (tf.layers.maxPooling2d({ poolSize: 1, strides: p.stride, name: `backbone.${p.name}_0_pool` }).apply(h) as Sym)
        : h;
    let y = relu(kbn(conv(pre, `${p.name}_1_conv`, 1, p.filters, 1, false), `${p.name}_1_bn`), `backbone.${p.name}_1_relu`);
    y = relu(kbn(conv(y, `${p.name}_2_conv`, 3, p.filters, p.stride, false), `${p.name}_2_bn`), `backbone.${p.name}_2_relu`);
    y = conv(y, `${p.name}_3_conv`, 1, p.cout, 1, true);
    h = tf.layers.add({ name: `backbone.${p.name}_out` }).apply([shortcut, y]) as Sym;
  }
  h = relu(kbn(h, 'post_bn'), 'backbone.post_relu');
  h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as Sym;
  return { model: tf.model({ inputs: input, outputs: h, name: 'encoder' }), weights };
}

// A ViT needs multi-head attention, which tfjs-layers 4.22 does not have as a layer: its weights
// leave as the full checkpoint file instead.
const ENCODERS: Partial<Record<TrainConfig['backbone'], (c: TrainConfig, get: Lookup) => Built>> = {
  'small-cnn': smallCnnLayers,
  resnet18: resnetLayers,
  resnet34: resnetLayers,
  resnet50: resnetLayers,
  resnet50v2: resnetV2Layers,
  mobilenetv2: mobilenetV2Layers,
};

/** The backbone of `config` as a layers model holding the checkpoint's weights. */
export function encoderLayers(config: TrainConfig, get: Lookup): tf.LayersModel {
  const build = ENCODERS[config.backbone];
  if (!build)
    throw new Error(
      `the ${config.backbone} backbone cannot be written in TF.js layers format (tfjs-layers has no multi-head attention layer); use "Checkpoint file" to take its weights`,
    );
  return withWeights(build(config, get));
}

/** main_vicreg.py's Projector: [B, featureDim] -> [B, outDim]. */
export function projectorLayers(config: TrainConfig, featureDim: number, get: Lookup): tf.LayersModel {
  const f = [featureDim, ...parseSpec(config.projector)];
  const weights: [string, tf.Tensor[]][] = [];
  const input = tf.input({ shape: [featureDim], name: 'features' });
  let h = input;
  for (let i = 0; i < f.length - 2; i++) {
    const name = `projector.${3 * i}`;
    weights.push([name, [get(`${name}.weight`), get(`${name}.bias`)]]);
    h = tf.layers.dense({ units: f[i + 1], name }).apply(h) as tf.SymbolicTensor;
    h = bn(h, `projector.${3 * i + 1}`, weights, get);
    h = tf.layers.reLU({ name: `projector.relu${i}` }).apply(h) as tf.SymbolicTensor;
  }
  const last = `projector.${3 * (f.length - 2)}`;
  weights.push([last, [get(`${last}.weight`)]]);
  h = tf.layers.dense({ units: f[f.length - 1], useBias: false, name: last }).apply(h) as tf.SymbolicTensor;
  return withWeights({ model: tf.model({ inputs: input, outputs: h, name: 'projector' }), weights });
}

function withWeights({ model, weights }: Built): tf.LayersModel {
  for (const [name, values] of weights) {
    model.getLayer(name).setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/** model.json (TF.js layers format, weights in one file named `weightsFile`) and the weights. */
export async function layersFiles(model: tf.LayersModel, weightsFile = 'weights.bin'): Promise<{ modelJson: string; weights: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a?.weightData || !a.weightSpecs) throw new Error('TF.js returned no weights for the layers model');
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs }],
  };
  return { modelJson: JSON.stringify(json), weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) };
}
