import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { applyParams, drawParams, viewOptions } from './augment';
import { fromPixels, isGray } from './dataset';
import { mulberry32 } from './random';
import { colourForData } from './rules';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('colourForData', () => {
  it('switches saturation, hue and RandomGrayscale off for grayscale data, and says which', () => {
    const c = { ...DEFAULT_CONFIG, saturation: 0.2, hue: 0.1, grayscaleProb: 0 };
    expect(colourForData(c, { grayscale: true })).toEqual({
      config: { ...c, saturation: 0, hue: 0, grayscaleProb: 0 },
      off: ['saturation', 'hue'],
    });
    expect(colourForData(c, { grayscale: false })).toEqual({ config: c, off: [] });
  });

  it('finds grayscale data in one channel or in three equal ones', () => {
    expect(isGray(Uint8Array.from([5, 5, 5, 200, 200, 200]))).toBe(true);
    expect(isGray(Uint8Array.from([5, 5, 5, 200, 201, 200]))).toBe(false);
    const meta = { id: 'g', name: 'g', source: 't', testFraction: 0, seed: 0 };
    expect(
      fromPixels(new Uint8Array(4), { count: 1, height: 2, width: 2, channels: 1 }, new Int32Array(1), [], meta).summary.grayscale,
    ).toBe(true);
    expect(
      fromPixels(
        Uint8Array.from({ length: 12 }, (_, i) => i),
        { count: 1, height: 2, width: 2, channels: 3 },
        new Int32Array(1),
        [],
        meta,
      ).summary.grayscale,
    ).toBe(false);
  });

  for (const fused of [true, false]) {
    it(`on gray images the views are the same with the colour transforms on or off (${fused ? 'fused kernel' : 'tensor ops'})`, () => {
      // The rule's premise: saturation, hue and grayscale are identities on gray pixels.
      const rand = mulberry32(3);
      const gray = Float32Array.from({ length: 6 * 10 * 10 }, () => rand());
      const x = tf.tile(tf.tensor4d(gray, [6, 10, 10, 1]), [1, 1, 1, 3]) as tf.Tensor4D;
      const c = { ...DEFAULT_CONFIG, imageSize: 8, jitterProb: 1, saturation: 0.8, hue: 0.4, grayscaleProb: 0.5 };
      const batch = Int32Array.from({ length: 6 }, (_, i) => i);
      const on = applyParams(x, batch, drawParams(6, 10, 10, viewOptions(c, 1), mulberry32(9)), 8, fused);
      const off = applyParams(x, batch, drawParams(6, 10, 10, viewOptions(c, 1, { grayscale: true }), mulberry32(9)), 8, fused);
      // To 3e-4: torchvision's luma weights sum to 0.9999, so its grayscale of a gray pixel v is
      // 0.9999·v, an error that brightness and contrast (gains up to 1.4 each) can double; still
      // far below one 8-bit level, 1/255.
      expect(tf.max(tf.abs(tf.sub(on, off))).dataSync()[0]).toBeLessThan(3e-4);
      // ... and the same seed still draws the same crops (the other transforms are not moved).
      expect(drawParams(6, 10, 10, viewOptions(c, 1), mulberry32(9)).boxes).toEqual(
        drawParams(6, 10, 10, viewOptions(c, 1, { grayscale: true }), mulberry32(9)).boxes,
      );
      tf.dispose([x, on, off]);
    });
  }
});
