import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random';
import { signature, TAIL_BYTES, undecodableReason } from './undecodable';

// 37×23 images written by Pillow (./header.test.ts uses the same).
const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'headers', name)));
const decoderError = new DOMException('The source image could not be decoded.', 'InvalidStateError');
const reason = (name: string, bytes: Uint8Array) =>
  undecodableReason(
    decoderError,
    name,
    bytes.subarray(0, 256 * 1024),
    bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)),
    bytes.length,
  );

describe('undecodableReason', () => {
  it('says a JPEG cut in half lacks its end-of-image marker, with its header and size', () => {
    const jpeg = fixture('a.jpg');
    const cut = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const r = reason('s0.jpg', cut);
    expect(r).toContain('could not be decoded (the browser\'s decoder: "InvalidStateError: The source image could not be decoded.")');
    expect(r).toContain('a JPEG by its signature, 37×23 px by its header');
    expect(r).toContain(`${cut.length.toLocaleString('en-US')} bytes`);
    expect(r).toMatch(/it ends in [0-9a-f]{2} [0-9a-f]{2}, not the end-of-image marker FF D9: truncated$/);
    expect(r).not.toMatch(/CMYK|16-bit/);
  });

  it('says a PNG cut short lacks IEND', () => {
    const png = fixture('a.png');
    expect(reason('c.png', png.subarray(0, 60))).toMatch(
      /a PNG by its signature, 37×23 px by its header, 60 bytes; it does not end with the IEND chunk/,
    );
  });

  it('says nothing about the end of a file that ends as its format requires', () => {
    for (const f of ['a.png', 'a.jpg', 'a.gif', 'lossy.webp']) expect(reason(f, fixture(f))).not.toContain('truncated');
  });

  it('reads a short WebP and GIF as truncated', () => {
    const webp = fixture('lossy.webp');
    expect(reason('w.webp', webp.subarray(0, 40))).toMatch(/its RIFF header declares [\d,]+ bytes: truncated/);
    const gif = fixture('a.gif');
    expect(reason('g.gif', gif.subarray(0, gif.length - 1))).toMatch(/not the GIF trailer 3B: truncated/);
  });

  it('names the first bytes of random bytes named .png, and claims no format', () => {
    const rand = mulberry32(7);
    const bytes = Uint8Array.from({ length: 300 }, () => Math.floor(rand() * 256));
    bytes[0] = 0x12; // not by chance a signature
    const r = reason('noise.png', bytes);
    expect(r).toMatch(
      /its first bytes \(12( [0-9a-f]{2}){7}\) are no PNG, JPEG, GIF, BMP or WebP signature, though it is named \.png, 300 bytes$/,
    );
    expect(r).not.toContain('truncated');
  });

  it('quotes a thrown non-Error as it is', () => {
    expect(undecodableReason('boom', 'x.png', new Uint8Array(0), new Uint8Array(0), 0)).toContain('"boom"');
  });
});

describe('signature', () => {
  it('knows each format by its first bytes', () => {
    expect(['a.png', 'a.jpg', 'a.gif', 'a.bmp', 'lossless.webp'].map((f) => signature(fixture(f)))).toEqual([
      'png',
      'jpeg',
      'gif',
      'bmp',
      'webp',
    ]);
    expect(signature(new TextEncoder().encode('hello'))).toBeNull();
  });
});
