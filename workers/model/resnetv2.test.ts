import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { resnetV2Plan } from './arch';
import { expectFiniteGradients, images, paramNames, trainableCount } from './backbone-test-kit';
import { ParamStore } from './layers';
import { resnetV2, subsample } from './resnetv2';

/**
 * ResNet50V2's weights by hand from keras/src/applications/resnet_v2.py: conv1_conv 7·7·3·64 + 64;
 * per block a preact BN (4·cin with the moving statistics), a 1×1 conv shortcut with bias on each
 * stack's first block (cin·4f + 4f), _1_conv cin·f, _1_bn 4f, _2_conv 9·f·f, _2_bn 4f, _3_conv
 * f·4f + 4f; post_bn 4·2048. Returns [trainable, all as Keras's count_params() counts them].
 */
function byHand(w: number): [number, number] {
  let trainable = 7 * 7 * 3 * w + w;
  let buffers = 0;
  let cin = w;
  for (const [f, n] of [
    [w, 3],
    [2 * w, 4],
    [4 * w, 6],
    [8 * w, 3],
  ]) {
    for (let i = 0; i < n; i++) {
      trainable += 2 * cin + (i === 0 ? cin * 4 * f + 4 * f : 0) + cin * f + 2 * f + 9 * f * f + 2 * f + f * 4 * f + 4 * f;
      buffers += 2 * cin + 2 * f + 2 * f;
      cin = 4 * f;
    }
  }
  trainable += 2 * cin;
  buffers += 2 * cin;
  return [trainable, trainable + buffers];
}

describe('ResNet50V2 (Keras)', () => {
  it("has Keras's count: 23,564,800 weights with BatchNorm's moving statistics, 23,519,360 trainable", () => {
    expect(byHand(64)).toEqual([23_519_360, 23_564_800]);
    const store = new ParamStore(0);
    resnetV2(store, { widthMult: 1, stem: 'imagenet' });
    expect(trainableCount(store)).toBe(23_519_360);
    expect(store.params.reduce((n, p) => n + p.variable.size, 0)).toBe(23_564_800);
    store.dispose();
  });

  it("puts each stack's stride on its last block and its conv shortcut on its first, as Keras's stack_residual_blocks_v2", () => {
    const plan = resnetV2Plan(1, 'cifar');
    expect(plan.blocks.length).toBe(16);
    expect(plan.blocks.filter((b) => b.stride === 2).map((b) => b.name)).toEqual(['conv2_block3', 'conv3_block4', 'conv4_block6']);
    expect(plan.blocks.filter((b) => b.convShortcut).map((b) => b.name)).toEqual([
      'conv2_block1',
      'conv3_block1',
      'conv4_block1',
      'conv5_block1',
    ]);
    expect(plan.featureDim).toBe(2048);
  });

  it("uses Keras's layer names and its BatchNorm epsilon and momentum", () => {
    const names = paramNames((store) => resnetV2(store, { widthMult: 0.0625, stem: 'imagenet' }));
    expect(names.slice(0, 6)).toEqual([
      'backbone.conv1_conv.weight',
      'backbone.conv1_conv.bias',
      'backbone.conv2_block1_preact_bn.weight',
      'backbone.conv2_block1_preact_bn.bias',
      'backbone.conv2_block1_preact_bn.running_mean',
      'backbone.conv2_block1_preact_bn.running_var',
    ]);
    for (const n of ['conv2_block1_0_conv.bias', 'conv3_block4_2_conv.weight', 'conv5_block3_3_conv.bias', 'post_bn.running_var'])
      expect(names).toContain(`backbone.${n}`);
    expect(names).not.toContain('backbone.conv2_block2_0_conv.weight'); // identity shortcut
    expect(names).not.toContain('backbone.conv2_block1_1_conv.bias'); // a BatchNorm follows
  });

  it('gives [B, 4·512·widthMult] at two sizes with either stem; map is the post-activation map', () => {
    const store = new ParamStore(1);
    const imagenet = resnetV2(store, { widthMult: 0.0625, stem: 'imagenet' });
    const cifar = resnetV2(store, { widthMult: 0.0625, stem: 'cifar' });
    expect(imagenet.featureDim).toBe(128);
    for (const side of [32, 35]) {
      tf.tidy(() => {
        expect(imagenet.forward(images(2, side), true).shape).toEqual([2, 128]);
        expect(cifar.forward(images(2, side), false).shape).toEqual([2, 128]);
        // 7×7/2 then pool /2 then three strided stacks: side / 32 rounded up, as Keras.
        expect(imagenet.map(images(1, side), false).shape).toEqual([1, Math.ceil(side / 32), Math.ceil(side / 32), 128]);
        const m = imagenet.map(images(1, side), false);
        expect(m.min().dataSync()[0]).toBeGreaterThanOrEqual(0); // post_relu
      });
    }
    store.dispose();
  });

  it("pools the stem with Keras's zero padding, not −∞: a map of negative values gives zeros at its border", () => {
    const store = new ParamStore(2);
    const net = resnetV2(store, { widthMult: 0.0625, stem: 'imagenet' });
    const conv = store.params.find((p) => p.name === 'backbone.conv1_conv.bias')!.variable;
    tf.tidy(() => {
      for (const p of store.params.filter((q) => q.name === 'backbone.conv1_conv.weight')) p.variable.assign(tf.zerosLike(p.variable));
      conv.assign(tf.fill(conv.shape, -1));
      const h = net.segments[0](images(1, 16), false); // conv gives −1 everywhere; pool over zero-padded −1s
      const v = h.dataSync();
      expect(h.shape).toEqual([1, 4, 4, 4]);
      expect(v[0]).toBe(0); // the corner window reaches the zero padding
      expect(Array.from(v).every((x) => x === 0 || x === -1)).toBe(true);
      expect(Array.from(v)).toContain(-1); // an inner window does not
    });
    store.dispose();
  });

  it("subsamples as Keras's MaxPooling2D(1, 2): every other pixel from the first, odd sides rounded up", () => {
    tf.tidy(() => {
      const x = tf.range(0, 2 * 5 * 4 * 3).reshape([2, 5, 4, 3]) as tf.Tensor4D;
      const want = tf.maxPool(x, 1, 2, 'valid'); // forward only: its gradient is what subsample avoids
      const got = subsample(x, 2);
      expect(got.shape).toEqual([2, 3, 2, 3]);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    });
  });

  it('forward and backward give a finite gradient for every trainable variable (both stems)', async () => {
    for (const stem of ['cifar', 'imagenet'] as const) {
      const store = new ParamStore(3);
      const net = resnetV2(store, { widthMult: 0.0625, stem });
      const x = images(4, 32);
      await expectFiniteGradients(store, net, x);
      x.dispose();
      store.dispose();
    }
  });
});
