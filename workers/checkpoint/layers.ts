// The encoder and the projector as TF.js layers models, so the weights leave the studio in a
// format `tf.loadLayersModel` reads anywhere (browser, Node). Each layer mirrors the studio's own
// op: Conv2D without bias = tf.conv2d 'same'; BatchNormalization(epsilon 1e-5) in inference =
// tf.batchNorm with the running statistics; Dense = the fused matMul. The weights are the
// checkpoint's, copied by their stable names.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { parseSpec } from '../model/projector';
import type { Checkpoint } from './record';

const BN_EPS = 1e-5; // as workers/model/layers.ts

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

function bn(h: tf.SymbolicTensor, name: string, weights: [string, tf.Tensor[]][], get: Lookup): tf.SymbolicTensor {
  weights.push([name, [get(`${name}.weight`), get(`${name}.bias`), get(`${name}.running_mean`), get(`${name}.running_var`)]]);
  return tf.layers.batchNormalization({ epsilon: BN_EPS, name }).apply(h) as tf.SymbolicTensor;
}

/** workers/model/encoder.ts smallCnn: [B, H, W, 3] (any H, W) -> [B, 8·width]. */
function smallCnnLayers(config: TrainConfig, get: Lookup): { model: tf.LayersModel; weights: [string, tf.Tensor[]][] } {
  const weights: [string, tf.Tensor[]][] = [];
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  let h = input;
  [1, 2, 2, 2].forEach((strides, i) => {
    const name = `backbone.conv${i + 1}`;
    weights.push([name, [get(`${name}.weight`)]]);
    h = tf.layers.conv2d({ filters: config.width * 2 ** i, kernelSize: 3, strides, padding: 'same', useBias: false, name }).apply(h) as tf.SymbolicTensor;
    h = bn(h, `backbone.bn${i + 1}`, weights, get);
    h = tf.layers.reLU({ name: `backbone.relu${i + 1}` }).apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.globalAveragePooling2d({ name: 'backbone.pool' }).apply(h) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: h, name: 'encoder' }), weights };
}

const ENCODERS: Record<string, typeof smallCnnLayers> = { 'small-cnn': smallCnnLayers };

/** The backbone of `config` as a layers model holding the checkpoint's weights. */
export function encoderLayers(config: TrainConfig, get: Lookup): tf.LayersModel {
  const kind = (config as Partial<Record<'backbone', string>>).backbone ?? 'small-cnn';
  const build = ENCODERS[kind];
  if (!build) throw new Error(`exporting the ${kind} backbone in layers format is not supported yet; export the full checkpoint instead`);
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

function withWeights({ model, weights }: { model: tf.LayersModel; weights: [string, tf.Tensor[]][] }): tf.LayersModel {
  for (const [name, values] of weights) {
    model.getLayer(name).setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/** model.json (TF.js layers format, weights in one file named `weightsFile`) and the weights. */
export async function layersFiles(model: tf.LayersModel, weightsFile = 'weights.bin'): Promise<{ modelJson: string; weights: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightData || !a.weightSpecs) throw new Error('TF.js returned no weights for the layers model');
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs }],
  };
  return { modelJson: JSON.stringify(json), weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) };
}
