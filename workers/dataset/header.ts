// An image's width and height from the first bytes of its file, without decoding it, so that an
// image too large to decode safely is refused before it costs memory (a 2.6 MB PNG can declare
// 30000×30000 px: 3.4 GiB once decoded). Formats as their specifications lay out the header:
// PNG (IHDR, ISO/IEC 15948 11.2.2), GIF (logical screen descriptor, GIF89a §18), BMP
// (BITMAPINFOHEADER), WebP (RIFF with VP8, VP8L or VP8X, RFC 9649), JPEG (the first SOFn marker,
// ITU T.81 B.2.2). Anything else, or a header cut short, gives null: the decoder decides then.

export interface ImageHeader {
  format: 'png' | 'gif' | 'bmp' | 'webp' | 'jpeg';
  width: number;
  height: number;
}

/** How many leading bytes to read: JPEG's SOF can follow an EXIF block with a thumbnail (< 64 KiB each). */
export const HEADER_BYTES = 256 * 1024;

export function imageHeader(b: Uint8Array): ImageHeader | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const has = (n: number) => b.length >= n;
  const ascii = (at: number, s: string) => has(at + s.length) && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (ascii(0, '\x89PNG\r\n\x1a\n') && ascii(12, 'IHDR') && has(24))
    return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  if ((ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) && has(10))
    return { format: 'gif', width: v.getUint16(6, true), height: v.getUint16(8, true) };
  if (ascii(0, 'BM') && has(26)) return { format: 'bmp', width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    if (ascii(12, 'VP8 ') && has(30))
      return { format: 'webp', width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
    if (ascii(12, 'VP8L') && has(25)) {
      const bits = v.getUint32(21, true);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (ascii(12, 'VP8X') && has(30)) {
      const u24 = (at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
      return { format: 'webp', width: u24(24) + 1, height: u24(27) + 1 };
    }
    return null;
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    let at = 2;
    while (has(at + 4)) {
      if (b[at] !== 0xff) return null;
      const marker = b[at + 1];
      if (marker === 0xff) {
        at++;
        continue;
      } // fill byte
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        at += 2;
        continue;
      } // no length
      const length = v.getUint16(at + 2);
      const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (sof) return has(at + 9) ? { format: 'jpeg', height: v.getUint16(at + 5), width: v.getUint16(at + 7) } : null;
      if (marker === 0xda || marker === 0xd9) return null; // scan data or the end before any frame header
      at += 2 + length;
    }
  }
  return null;
}
