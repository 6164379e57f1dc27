// The VICReg network: backbone then projector, applied to each view separately as in
// main_vicreg.py (so BatchNorm statistics are per view).
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import type { BackboneConfig } from './arch';
import { smallCnn, type Encoder } from './encoder';
import { ParamStore } from './layers';
import { mobilenetV2 } from './mobilenetv2';
import { projector, type Projector } from './projector';
import { resnet } from './resnet';
import { resnetV2 } from './resnetv2';
import { vit } from './vit';

/** What fixes the network's shape and init (a ViT's position embedding depends on imageSize). */
export type ModelConfig = BackboneConfig & Pick<TrainConfig, 'seed' | 'projector' | 'imageSize'>;

export function buildBackbone(store: ParamStore, config: ModelConfig): Encoder {
  switch (config.backbone) {
    case 'small-cnn':
      return smallCnn(store, config.width);
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      return resnet(store, config.backbone, {
        widthMult: config.widthMult,
        stem: config.stem,
        zeroInitResidual: config.zeroInitResidual === 'on',
      });
    case 'resnet50v2':
      return resnetV2(store, { widthMult: config.widthMult, stem: config.stem });
    case 'mobilenetv2':
      return mobilenetV2(store, config.widthMult);
    case 'vit-tiny':
    case 'vit-small':
      return vit(store, config.backbone, {
        widthMult: config.widthMult,
        patchSize: config.patchSize,
        depth: config.vitDepth,
        imageSize: config.imageSize,
      });
  }
}

export interface VicregModel {
  store: ParamStore;
  backbone: Encoder;
  projector: Projector;
  /** [B, H, W, 3] -> { features [B, featureDim], embedding [B, outDim] } */
  forward(x: tf.Tensor4D, training: boolean): { features: tf.Tensor2D; embedding: tf.Tensor2D };
  dispose(): void;
}

export function buildModel(config: ModelConfig): VicregModel {
  const store = new ParamStore(config.seed);
  const backbone = buildBackbone(store, config);
  const head = projector(store, backbone.featureDim, config.projector);
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
