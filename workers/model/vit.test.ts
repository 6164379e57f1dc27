import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectFiniteGradients, images, trainableCount } from './backbone-test-kit';
import { ParamStore } from './layers';
import { vit } from './vit';

/**
 * Trainable parameters of timm's ViT without its head, from the definition: patch conv
 * p·p·3·D + D, class token D, position embedding N·D; per block two LayerNorms 4D, qkv 3D² + 3D,
 * proj D² + D, fc1 4D² + 4D, fc2 4D² + D (12D² + 13D); final LayerNorm 2D.
 */
const byHand = (D: number, depth: number, p: number, side: number) => {
  const N = Math.floor(side / p) ** 2 + 1;
  return p * p * 3 * D + D + D + N * D + depth * (12 * D * D + 13 * D) + 2 * D;
};

describe('ViT', () => {
  it('has the published parameter counts at 224 px (timm ViT-Ti/16 and ViT-S/16 less the head)', () => {
    for (const [name, D, published] of [
      ['vit-tiny', 192, 5_717_416],
      ['vit-small', 384, 22_050_664],
    ] as const) {
      const headless = published - (D * 1000 + 1000);
      expect(byHand(D, 12, 16, 224)).toBe(headless);
      const store = new ParamStore(0);
      vit(store, name, { widthMult: 1, patchSize: 16, depth: 12, imageSize: 224 });
      expect(trainableCount(store), name).toBe(headless);
      store.dispose();
    }
  });

  it('scales the head width, not the number of heads, with widthMult; depth and patch size are free', () => {
    const store = new ParamStore(0);
    const net = vit(store, 'vit-small', { widthMult: 0.125, patchSize: 8, depth: 3, imageSize: 32 });
    expect(net.featureDim).toBe(6 * 8);
    expect(trainableCount(store)).toBe(byHand(48, 3, 8, 32));
    store.dispose();
  });

  it('gives [B, D] for two input sizes (each its own position embedding) and refuses a size it was not built for', () => {
    for (const side of [16, 24]) {
      const store = new ParamStore(1);
      const net = vit(store, 'vit-tiny', { widthMult: 0.125, patchSize: 4, depth: 2, imageSize: side });
      tf.tidy(() => {
        expect(net.forward(images(3, side), true).shape).toEqual([3, 24]);
      });
      expect(() => tf.tidy(() => net.forward(images(1, side + 8), true))).toThrow(/built for/);
      store.dispose();
    }
  });

  it('the feature is the class token: changing one patch changes it, as attention mixes every token', () => {
    const store = new ParamStore(2);
    const net = vit(store, 'vit-tiny', { widthMult: 0.125, patchSize: 4, depth: 1, imageSize: 8 });
    tf.tidy(() => {
      const x = images(1, 8);
      const y = tf.concat([tf.slice(x, [0, 0, 0, 0], [1, 4, 8, 3]), tf.zeros([1, 4, 8, 3])], 1) as tf.Tensor4D; // bottom patches changed
      const d = tf.max(tf.abs(tf.sub(net.forward(x, false), net.forward(y, false)))).dataSync()[0];
      expect(d).toBeGreaterThan(1e-4);
    });
    store.dispose();
  });

  it('uses timm names', () => {
    const store = new ParamStore(0);
    vit(store, 'vit-tiny', { widthMult: 0.125, patchSize: 4, depth: 2, imageSize: 8 });
    expect(store.params.map((p) => p.name).slice(0, 6)).toEqual([
      'backbone.patch_embed.proj.weight',
      'backbone.patch_embed.proj.bias',
      'backbone.cls_token',
      'backbone.pos_embed',
      'backbone.blocks.0.norm1.weight',
      'backbone.blocks.0.norm1.bias',
    ]);
    expect(store.params[store.params.length - 1].name).toBe('backbone.norm.bias');
    store.dispose();
  });

  for (const name of ['vit-tiny', 'vit-small'] as const) {
    it(`${name}: forward and backward give a finite gradient for every trainable variable`, async () => {
      const store = new ParamStore(3);
      const net = vit(store, name, { widthMult: 0.125, patchSize: 4, depth: 2, imageSize: 16 });
      const x = images(4, 16);
      await expectFiniteGradients(store, net, x);
      x.dispose();
      store.dispose();
    });
  }
});
