import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageHeader } from './header';

// 37×23 images written by Pillow in every format the header reader knows (PNG, GIF, BMP, baseline,
// progressive and EXIF-carrying JPEG, lossy/lossless/extended WebP).
const dir = join(__dirname, 'fixtures', 'headers');

describe('imageHeader', () => {
  for (const name of readdirSync(dir)) {
    it(`reads 37×23 from ${name} without decoding`, () => {
      const h = imageHeader(new Uint8Array(readFileSync(join(dir, name))));
      expect(h).toMatchObject({ width: 37, height: 23 });
    });
  }

  it('reads the huge size a small PNG declares, and gives null for what it cannot read', () => {
    const png = new Uint8Array(readFileSync(join(dir, 'a.png')));
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 30000);
    new DataView(huge.buffer).setUint32(20, 30000);
    expect(imageHeader(huge)).toEqual({ format: 'png', width: 30000, height: 30000 });
    expect(imageHeader(png.subarray(0, 20))).toBeNull(); // cut before the height
    expect(imageHeader(new TextEncoder().encode('not an image at all'))).toBeNull();
    expect(imageHeader(new Uint8Array(0))).toBeNull();
    const jpeg = new Uint8Array(readFileSync(join(dir, 'exif.jpg')));
    expect(imageHeader(jpeg.subarray(0, 200))).toBeNull(); // the EXIF block is longer than that
  });
});
