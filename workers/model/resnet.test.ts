import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectFiniteGradients, images, paramNames, trainableCount } from './backbone-test-kit';
import { ParamStore } from './layers';
import { resnet } from './resnet';

/**
 * Trainable parameters of torchvision's ResNet without its fc layer, from the definition: stem
 * conv k×k·3·w + BN 2w; per basic block 3·3·cin·c + 3·3·c·c + two BNs; per bottleneck
 * cin·p + 3·3·p·p + p·4p + three BNs; a downsample 1×1 conv + BN where the shape changes.
 */
function byHand(kind: 'basic' | 'bottleneck', layers: number[], w: number, stemK: number): number {
  let n = stemK * stemK * 3 * w + 2 * w;
  let cin = w;
  layers.forEach((blocks, stage) => {
    const p = w * 2 ** stage;
    const cout = kind === 'basic' ? p : 4 * p;
    for (let i = 0; i < blocks; i++) {
      n += kind === 'basic' ? 9 * cin * p + 2 * p + 9 * p * cout + 2 * cout : cin * p + 2 * p + 9 * p * p + 2 * p + p * cout + 2 * cout;
      if ((i === 0 && stage > 0) || cin !== cout) n += cin * cout + 2 * cout;
      cin = cout;
    }
  });
  return n;
}

describe('ResNet', () => {
  it('has the published parameter counts at width 1 (torchvision totals less the fc layer)', () => {
    const cases = [
      ['resnet18', 11_689_512 - (512 * 1000 + 1000), byHand('basic', [2, 2, 2, 2], 64, 7)],
      ['resnet34', 21_797_672 - (512 * 1000 + 1000), byHand('basic', [3, 4, 6, 3], 64, 7)],
      ['resnet50', 25_557_032 - (2048 * 1000 + 1000), byHand('bottleneck', [3, 4, 6, 3], 64, 7)],
    ] as const;
    for (const [name, published, hand] of cases) {
      expect(hand).toBe(published);
      const store = new ParamStore(0);
      resnet(store, name, { widthMult: 1, stem: 'imagenet', zeroInitResidual: true });
      expect(trainableCount(store), name).toBe(published);
      store.dispose();
    }
  });

  it('counts match the definition at a width multiplier and with the CIFAR stem', () => {
    for (const [name, kind, layers] of [
      ['resnet18', 'basic', [2, 2, 2, 2]],
      ['resnet50', 'bottleneck', [3, 4, 6, 3]],
    ] as const) {
      const store = new ParamStore(0);
      resnet(store, name, { widthMult: 0.125, stem: 'cifar', zeroInitResidual: false });
      expect(trainableCount(store), name).toBe(byHand(kind, [...layers], 8, 3));
      store.dispose();
    }
  });

  it('gives [B, featureDim] for two input sizes with either stem', () => {
    const store = new ParamStore(1);
    const cifar = resnet(store, 'resnet18', { widthMult: 0.125, stem: 'cifar', zeroInitResidual: true });
    const bottleneck = resnet(store, 'resnet50', { widthMult: 0.0625, stem: 'imagenet', zeroInitResidual: true });
    expect(cifar.featureDim).toBe(64);
    expect(bottleneck.featureDim).toBe(4 * 32);
    for (const side of [16, 35]) {
      tf.tidy(() => {
        expect(cifar.forward(images(2, side), true).shape).toEqual([2, 64]);
        expect(bottleneck.forward(images(3, side), false).shape).toEqual([3, 128]);
      });
    }
    store.dispose();
  });

  it('starts each block as the identity with zero-init: gamma = 0 in the last BN of every block, and only there', () => {
    for (const [name, last] of [
      ['resnet18', 'bn2'],
      ['resnet34', 'bn2'],
      ['resnet50', 'bn3'],
    ] as const) {
      for (const zero of [true, false]) {
        const store = new ParamStore(2);
        resnet(store, name, { widthMult: 0.0625, stem: 'cifar', zeroInitResidual: zero });
        const gammas = store.params.filter((p) => /\.(bn\d|downsample\.1)\.weight$/.test(p.name));
        const lastOfBlock = gammas.filter((p) => p.name.endsWith(`.${last}.weight`) && p.name.includes('.layer'));
        expect(lastOfBlock.length, name).toBe(name === 'resnet18' ? 8 : 16);
        for (const p of gammas) {
          const values = p.variable.dataSync();
          const want = zero && lastOfBlock.includes(p) ? 0 : 1;
          expect(
            values.every((v) => v === want),
            `${p.name} zeroInit=${zero}`,
          ).toBe(true);
        }
        store.dispose();
      }
    }
  });

  it('uses torchvision names', () => {
    const names = paramNames((store) => resnet(store, 'resnet50', { widthMult: 0.0625, stem: 'imagenet', zeroInitResidual: true }));
    expect(names.slice(0, 5)).toEqual([
      'backbone.conv1.weight',
      'backbone.bn1.weight',
      'backbone.bn1.bias',
      'backbone.bn1.running_mean',
      'backbone.bn1.running_var',
    ]);
    expect(names).toContain('backbone.layer2.0.downsample.0.weight');
    expect(names).toContain('backbone.layer4.2.bn3.running_var');
  });

  for (const name of ['resnet18', 'resnet34', 'resnet50'] as const) {
    it(`${name}: forward and backward give a finite gradient for every trainable variable (both stems)`, async () => {
      for (const stem of ['cifar', 'imagenet'] as const) {
        const store = new ParamStore(3);
        const net = resnet(store, name, { widthMult: 0.0625, stem, zeroInitResidual: false });
        const x = images(4, 16);
        await expectFiniteGradients(store, net, x);
        x.dispose();
        store.dispose();
      }
    });
  }
});
