// Why a file the decoder refused was skipped, in facts observed rather than causes guessed: the
// decoder's own words (createImageBitmap rejects with a DOMException), the format its first bytes
// declare, its size, and whether it ends as its format requires (JPEG's end-of-image marker, ITU
// T.81 B.2.1; PNG's IEND chunk, ISO/IEC 15948 11.2.5; GIF's trailer, GIF89a §27; WebP's RIFF
// length, RFC 9649 2.5). A file that stops short of its end is truncated: that is seen, not guessed.
import { imageHeader } from './header';

/** How many bytes of a file's end the checks below read. */
export const TAIL_BYTES = 16;

type Format = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';
const NAMES: Record<Format, string> = { png: 'PNG', jpeg: 'JPEG', gif: 'GIF', bmp: 'BMP', webp: 'WebP' };

/** The format a file's first bytes declare (its signature), or null. */
export function signature(b: Uint8Array): Format | null {
  const ascii = (at: number, s: string) => b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (ascii(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'BM') && b.length >= 14) return 'bmp';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  return null;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** What the file's end shows about its format's closing bytes, or null when nothing is amiss. */
function ending(format: Format, head: Uint8Array, tail: Uint8Array, size: number): string | null {
  const ends = (...bytes: number[]) => tail.length >= bytes.length && bytes.every((x, i) => tail[tail.length - bytes.length + i] === x);
  if (format === 'jpeg' && !ends(0xff, 0xd9)) return `it ends in ${hex(tail.slice(-2))}, not the end-of-image marker FF D9: truncated`;
  if (format === 'png' && !ends(0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82))
    return 'it does not end with the IEND chunk that closes every PNG: truncated';
  if (format === 'gif' && !ends(0x3b)) return `it ends in ${hex(tail.slice(-1))}, not the GIF trailer 3B: truncated`;
  if (format === 'webp' && head.length >= 8) {
    const declared = new DataView(head.buffer, head.byteOffset).getUint32(4, true) + 8;
    if (size < declared) return `its RIFF header declares ${declared.toLocaleString('en-US')} bytes: truncated`;
  }
  return null;
}

/**
 * The skip reason for a file createImageBitmap refused: `error` is what it threw, `head` the
 * file's first bytes (up to HEADER_BYTES), `tail` its last TAIL_BYTES, `size` its length.
 */
export function undecodableReason(error: unknown, name: string, head: Uint8Array, tail: Uint8Array, size: number): string {
  const said =
    error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
      ? `${(error as Error).name}: ${(error as Error).message}`
      : String(error);
  const facts: string[] = [];
  const format = signature(head);
  const extension = /\.([^./]+)$/.exec(name)?.[1];
  if (!format) {
    facts.push(`its first bytes (${hex(head.slice(0, 8))}) are no PNG, JPEG, GIF, BMP or WebP signature`);
    if (extension) facts.push(`though it is named .${extension}`);
  } else {
    const h = imageHeader(head);
    facts.push(`a ${NAMES[format]} by its signature${h ? `, ${h.width}×${h.height} px by its header` : ''}`);
  }
  facts.push(`${size.toLocaleString('en-US')} bytes`);
  const end = format && ending(format, head, tail, size);
  return `could not be decoded (the browser's decoder: "${said}"); ${facts.join(', ')}${end ? `; ${end}` : ''}`;
}
