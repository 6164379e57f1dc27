// CRC-32 for zips (workers/checkpoint/zip.ts) and for the tensors of safetensors files
// (workers/torch/safetensors.ts); alone, so the safetensors reader pulls in nothing else.
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (ISO 3309, the zip format's) of `bytes`, unsigned; `crc` continues an earlier one
 *  (as zlib.crc32(data, crc)). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
