// The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian header
// length N, N bytes of JSON ({name: {dtype, shape, data_offsets: [begin, end]}} plus an optional
// "__metadata__" of string pairs), then the tensors' raw little-endian bytes back to back.
// Written here because npm has no maintained writer (the `safetensors` package is a 0.0.1
// placeholder; @huggingface/hub only parses remote headers), and the format is this small.
// The reader checks everything against the file before handing out a byte: header size, dtypes,
// shapes, offsets in range, contiguous and exactly the size each shape needs.

import { crc32 } from '../checkpoint/crc32';

export const DTYPE_BYTES = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type Dtype = keyof typeof DTYPE_BYTES;

export interface SafeTensor {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array; // little-endian, shape's product × the dtype's bytes
}

/** A header larger than this is refused before it is read (ResNet-50's is ~40 kB). */
export const MAX_HEADER_BYTES = 16 << 20;

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** float32 values as safetensors bytes (little-endian, as every platform the studio runs on). */
export const f32 = (values: Float32Array, shape: number[]): SafeTensor => ({
  dtype: 'F32',
  shape,
  data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

/** One int64 value (PyTorch's BatchNorm num_batches_tracked is a 0-d int64 tensor). */
export function i64Scalar(value: number): SafeTensor {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigInt64(0, BigInt(value), true);
  return { dtype: 'I64', shape: [], data };
}

/**
 * Writes `tensors` (in the order given) with `metadata`. The header is padded with spaces to a
 * multiple of 8 bytes, as the reference implementation does, so the data that follows is aligned.
 */
export function writeSafetensors(tensors: [string, SafeTensor][], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let at = 0;
  for (const [name, t] of tensors) {
    if (t.data.byteLength !== product(t.shape) * DTYPE_BYTES[t.dtype])
      throw new Error(`${name}: ${t.data.byteLength} bytes do not hold a ${t.dtype} tensor of shape [${t.shape}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.byteLength] };
    at += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Uint8Array.from({ length: padded }, (_, i) => (i < json.length ? json[i] : 0x20));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let offset = 8 + json.length;
  for (const [, t] of tensors) {
    out.set(t.data, offset);
    offset += t.data.byteLength;
  }
  return out;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafeTensor>; // data are views into the file's bytes
}

/** Reads a safetensors file, or throws naming what is wrong with it. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const fail = (why: string) => new Error(`the file is not a readable safetensors file: ${why}`);
  if (bytes.byteLength < 8) throw fail('shorter than its 8-byte header length');
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8)))
    throw fail(`its header claims ${n} bytes, more than the file or the ${MAX_HEADER_BYTES >> 20} MiB a header may have`);
  const start = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch {
    throw fail('its header is not valid JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('its header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: [string, SafeTensor & { begin: number }][] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw fail(`metadata ${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, e.dtype))
      throw fail(`${name} has no known dtype`);
    if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw fail(`${name} has no valid shape`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      throw fail(`${name} has no valid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const dtype = e.dtype as Dtype;
    const shape = e.shape as number[];
    if (end - begin !== product(shape) * DTYPE_BYTES[dtype])
      throw fail(`${name} spans ${end - begin} bytes, its ${dtype} shape [${shape}] needs ${product(shape) * DTYPE_BYTES[dtype]}`);
    if (start + end > bytes.byteLength) throw fail(`${name} lies past the end of the file (truncated?)`);
    entries.push([name, { dtype, shape, begin, data: bytes.subarray(start + begin, start + end) }]);
  }
  // The tensors must tile the data exactly: no gaps, no overlaps, nothing after.
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin);
  let at = 0;
  for (const [name, t] of sorted) {
    if (t.begin !== at) throw fail(`${name} starts at byte ${t.begin}, where ${at} was expected (a gap or an overlap)`);
    at += t.data.byteLength;
  }
  if (start + at !== bytes.byteLength) throw fail(`${bytes.byteLength - start - at} bytes follow the last tensor`);
  return { metadata, tensors: new Map(entries.map(([name, { dtype, shape, data }]) => [name, { dtype, shape, data }])) };
}

/**
 * CRC-32 of every tensor's bytes, in the order of their names: the studio and train_vicreg.py put
 * it in the metadata as "tensors_crc32" (safetensors has no checksum of its own), so damage to a
 * file they wrote is found on import. Independent of where the tensors lie in the file.
 */
export function tensorsCrc32(tensors: Iterable<[string, SafeTensor]>): string {
  let crc = 0;
  for (const [, t] of [...tensors].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) crc = crc32(t.data, crc);
  return crc.toString(16).padStart(8, '0');
}
