// The encoder and the projector as TF.js layers models, so the weights leave the studio in a
// format `tf.loadLayersModel` reads anywhere (browser, Node). Each layer mirrors the studio's own
// op: a conv is ZeroPadding2D by ⌊k/2⌋ then a 'valid' Conv2D (DepthwiseConv2D for a depthwise one),
// torch's symmetric padding, except in the small CNN, which keeps 'same' as the studio pads it; it
// has a bias where the plan has one. BatchNormalization (epsilon as the model's) in inference =
// tf.batchNorm with the running statistics; Dense = the fused matMul. The weights are the
// checkpoint's, copied by their stable names.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { type ConvPlan, mobilenetV2Plan, resnetPlan, resnetV2Plan, type ResnetName, smallCnnPlan } from '../model/arch';
import { KERAS_BN, TORCH_BN } from '../model/layers';
import { parseSpec } from '../model/projector';
import type { Checkpoint } from './record';

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

type Sym = tf.SymbolicTensor;
type Built = { model: tf.LayersModel; weights: [string, tf.Tensor[]][] };

/** What a backbone's layers take beyond its plan in arch.ts. */
interface Style {
  eps: number; // BatchNorm epsilon of the framework the backbone copies (TORCH_BN, KERAS_BN)
  maxValue?: number; // MobileNetV2's ReLU6
  // 'torch': symmetric padding ⌊k/2⌋ (workers/model/layers.ts `conv`) as ZeroPadding2D + a 'valid'
  // Conv2D, since TF's 'same' pads asymmetrically at stride 2 and would shift every feature.
  // 'same': the small CNN, which the studio itself pads 'same' (workers/model/encoder.ts).
  padding: 'torch' | 'same';
}

/**
 * One encoder as layers, built by walking a plan of workers/model/arch.ts; the checkpoint's
 * weights of each layer are collected by name for withWeights.
 */
class EncoderGraph {
  readonly weights: Built['weights'] = [];
  readonly input = tf.input({ shape: [null, null, 3], name: 'image' });
  constructor(
    private readonly get: Lookup,
    private readonly style: Style,
  ) {}

  /** The conv, its BatchNorm and, where the plan has one, its activation, named `act`. */
  conv(h: Sym, c: ConvPlan, act?: string): Sym {
    const { name, k, stride: strides, bias: useBias } = c;
    const same = this.style.padding === 'same';
    const pad = Math.floor(k / 2);
    if (!same && pad > 0) h = tf.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(h) as Sym;
    this.weights.push([name, useBias ? [this.get(`${name}.weight`), this.get(`${name}.bias`)] : [this.get(`${name}.weight`)]]);
    const padding = same ? 'same' : 'valid';
    const layer = c.depthwise
      ? tf.layers.depthwiseConv2d({ kernelSize: k, strides, padding, useBias, name })
      : tf.layers.conv2d({ filters: c.cout, kernelSize: k, strides, padding, useBias, name });
    h = layer.apply(h) as Sym;
    if (c.bn) h = this.bn(h, c.bn);
    if (!c.relu) return h;
    if (!act) throw new Error(`the layers export names no activation after ${name}`);
    return this.relu(h, act);
  }

  bn(h: Sym, name: string): Sym {
    return bn(h, name, this.weights, this.get, this.style.eps);
  }

  relu(h: Sym, name: string): Sym {
    return tf.layers.reLU({ name, maxValue: this.style.maxValue }).apply(h) as Sym;
  }

  maxPool(h: Sym, padName: string, name: string): Sym {
    h = tf.layers.zeroPadding2d({ padding: 1, name: padName }).apply(h) as Sym;
    return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name }).apply(h) as Sym;
  }

  add(name: string, a: Sym, b: Sym): Sym {
    return tf.layers.add({ name }).apply([a, b]) as Sym;
  }

  pooled(h: Sym): Built {
    h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as Sym;
    return { model: tf.model({ inputs: this.input, outputs: h, name: 'encoder' }), weights: this.weights };
  }
}

/** workers/model/encoder.ts smallCnn: [B, H, W, 3] (any H, W) -> [B, 8·width]. */
function smallCnnLayers(config: TrainConfig, get: Lookup): Built {
  const e = new EncoderGraph(get, { eps: TORCH_BN.eps, padding: 'same' });
  return e.pooled(smallCnnPlan(config.width).convs.reduce((h, c, i) => e.conv(h, c, `backbone.relu${i + 1}`), e.input));
}

/** workers/model/resnet.ts, both stems, basic and bottleneck blocks. */
function resnetLayers(config: TrainConfig, get: Lookup): Built {
  const plan = resnetPlan(config.backbone as ResnetName, config.widthMult, config.stem);
  const e = new EncoderGraph(get, { eps: TORCH_BN.eps, padding: 'torch' });
  let h = e.conv(e.input, plan.stemConv, 'backbone.relu');
  // After a ReLU, zero padding equals torch's −∞ padding.
  if (plan.pool) h = e.maxPool(h, 'backbone.maxpool.pad', 'backbone.maxpool');
  for (const p of plan.blocks) {
    const n = `backbone.${p.name}`;
    const y = p.convs.reduce((t, c, i) => e.conv(t, c, `${n}.relu${i + 1}`), h);
    const shortcut = p.downsample ? e.conv(h, p.downsample) : h;
    h = e.relu(e.add(`${n}.add`, y, shortcut), `${n}.relu`);
  }
  return e.pooled(h);
}

/** workers/model/mobilenetv2.ts: ReLU6, depthwise 3×3, linear bottlenecks. */
function mobilenetV2Layers(config: TrainConfig, get: Lookup): Built {
  const plan = mobilenetV2Plan(config.widthMult);
  const e = new EncoderGraph(get, { eps: TORCH_BN.eps, maxValue: 6, padding: 'torch' });
  const unit = (h: Sym, c: ConvPlan) => e.conv(h, c, `${c.bn}.relu6`);
  let h = unit(e.input, plan.firstConv);
  for (const p of plan.blocks) {
    const y = p.convs.reduce(unit, h);
    h = p.residual ? e.add(`backbone.features.${p.index}.add`, h, y) : y;
  }
  return e.pooled(unit(h, plan.lastConv));
}

/** workers/model/resnetv2.ts: Keras's ResNet50V2 in the layers Keras builds it from. */
function resnetV2Layers(config: TrainConfig, get: Lookup): Built {
  const plan = resnetV2Plan(config.widthMult, config.stem);
  const e = new EncoderGraph(get, { eps: KERAS_BN.eps, padding: 'torch' });
  let h = e.conv(e.input, plan.stemConv);
  // Keras's own pool1_pad pads with zeros (keras/src/applications/resnet.py builds the stem).
  if (plan.pool) h = e.maxPool(h, 'backbone.pool1_pad', 'backbone.pool1_pool');
  for (const p of plan.blocks) {
    const n = `backbone.${p.name}`;
    const pre = e.relu(e.bn(h, p.preact), `${n}_preact_relu`);
    const shortcut = p.shortcut
      ? e.conv(pre, p.shortcut)
      : p.stride > 1
        ? (tf.layers.maxPooling2d({ poolSize: 1, strides: p.stride, name: `${n}_0_pool` }).apply(h) as Sym)
        : h;
    const y = p.convs.reduce((t, c, i) => e.conv(t, c, `${n}_${i + 1}_relu`), pre);
    h = e.add(`${n}_out`, shortcut, y);
  }
  return e.pooled(e.relu(e.bn(h, 'backbone.post_bn'), 'backbone.post_relu'));
}

// A ViT needs multi-head attention, which tfjs-layers 4.22 does not have as a layer: its weights
// leave as the full checkpoint file instead.
const ENCODERS: Partial<Record<TrainConfig['backbone'], (config: TrainConfig, get: Lookup) => Built>> = {
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
