// The VICReg network: backbone then projector, applied to each view separately as in
// main_vicreg.py (so BatchNorm statistics are per view).
import * as tf from '@tensorflow/tfjs';
import { smallCnn, type Encoder } from './encoder';
import { ParamStore } from './layers';
import { projector, type Projector } from './projector';

export interface ModelConfig {
  seed: number;
  width: number;
  projector: string;
}

export interface VicregModel {
  store: ParamStore;
  backbone: Encoder;
  projector: Projector;
  /** [B, H, W, 3] -> { features [B, featureDim], embedding [B, outDim] } */
  forward(x: tf.Tensor4D, training: boolean): { features: tf.Tensor2D; embedding: tf.Tensor2D };
  dispose(): void;
}

export function buildModel(c: ModelConfig): VicregModel {
  const store = new ParamStore(c.seed);
  const backbone = smallCnn(store, c.width);
  const head = projector(store, backbone.featureDim, c.projector);
  return {
    store,
    backbone,
    projector: head,
    forward(x, training) {
      const features = backbone.forward(x, training);
      return { features, embedding: head.forward(features, training) };
    },
    dispose: () => store.dispose(),
  };
}
