import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectFiniteGradients, images, trainableCount } from './backbone-test-kit';
import { ParamStore } from './layers';
import { mobilenetV2 } from './mobilenetv2';

/**
 * Trainable parameters of torchvision's MobileNetV2 features, from the definition with the
 * channels already rounded: first conv 3·3·3·c0 + BN; per block an optional 1×1 expansion
 * cin·h + BN, a depthwise 3·3·h + BN, a 1×1 projection h·cout + BN; last 1×1 conv to 1280 + BN.
 */
function byHand(c0: number, outs: number[], last: number): number {
  const t = [1, 6, 6, 6, 6, 6, 6];
  const n = [1, 2, 3, 4, 3, 3, 1];
  let total = 27 * c0 + 2 * c0;
  let cin = c0;
  outs.forEach((cout, i) => {
    for (let r = 0; r < n[i]; r++) {
      const h = cin * t[i];
      if (t[i] !== 1) total += cin * h + 2 * h;
      total += 9 * h + 2 * h + h * cout + 2 * cout;
      cin = cout;
    }
  });
  return total + cin * last + 2 * last;
}

describe('MobileNetV2', () => {
  it('has the published parameter count at width 1 (torchvision total less the classifier)', () => {
    const published = 3_504_872 - (1280 * 1000 + 1000);
    expect(byHand(32, [16, 24, 32, 64, 96, 160, 320], 1280)).toBe(published);
    const store = new ParamStore(0);
    mobilenetV2(store, 1);
    expect(trainableCount(store)).toBe(published);
    store.dispose();
  });

  it('rounds channels to multiples of 8 at a width multiplier, as torchvision (0.5: 16, 8, 16, 16, 32, 48, 80, 160)', () => {
    const store = new ParamStore(0);
    const net = mobilenetV2(store, 0.5);
    expect(trainableCount(store)).toBe(byHand(16, [8, 16, 16, 32, 48, 80, 160], 1280));
    expect(net.featureDim).toBe(1280);
    store.dispose();
  });

  it('gives [B, 1280] for two input sizes, with the torchvision names', () => {
    const store = new ParamStore(1);
    const net = mobilenetV2(store, 0.25);
    for (const side of [32, 45])
      tf.tidy(() => {
        expect(net.forward(images(2, side), true).shape).toEqual([2, 1280]);
      });
    const names = store.params.map((p) => p.name);
    expect(names).toContain('backbone.features.1.conv.0.0.weight'); // t = 1: depthwise first
    expect(names).toContain('backbone.features.2.conv.3.running_var'); // t = 6: expand, dw, project, BN
    expect(names).toContain('backbone.features.18.1.weight');
    expect(new Set(names).size).toBe(names.length);
    store.dispose();
  });

  it('forward and backward give a finite gradient for every trainable variable', async () => {
    const store = new ParamStore(3);
    const net = mobilenetV2(store, 0.25);
    const x = images(4, 32);
    await expectFiniteGradients(store, net, x);
    x.dispose();
    store.dispose();
  });
});
