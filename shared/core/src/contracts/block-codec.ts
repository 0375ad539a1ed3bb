import type { WindowBlock } from '../windowing/window-blocks';
import type { Window } from './window';
import { LITTLE_ENDIAN_HOST, Reader, WINDOW_MAGIC, WindowDecodeError, WindowEncodeError, decodeWindow } from './window-codec';

/**
 * Format version 2 of the windows topic: one message per series run per ingest batch, holding the
 * contiguous points and mask from which its stride-S windows are cut, so a window costs about one
 * new value instead of W. Little-endian; docs/ingest.md has the table:
 *
 *   magic 'H''G' | u8 version=2 | u8 flags (bit 0: mask follows; bit 1: one ingestedAtMs for all)
 *   | u16 series length, series | u8 group length, group | u16 W | u16 C | C x (u8 length, name)
 *   | u16 S | u32 K | f64 startMs | f64 intervalMs | K (or 1) x f64 ingestedAtMs
 *   | P*C x f32 values, P = W + (K-1)*S | when bit 0: ceil(P*C/8) bytes of mask bits, LSB first
 */
export const BLOCK_FORMAT_VERSION = 2;

const FLAG_MASK = 1;
const FLAG_ONE_INGESTED = 2;

/** Encodes a block; throws WindowEncodeError for fields out of the format's range (a caller's bug). */
export function encodeWindowBlock(block: WindowBlock): Buffer {
  const c = block.channels.length;
  const { lengthSteps: w, strideSteps: s, windows: k } = block;
  const points = w + (k - 1) * s;
  const cells = points * c;
  if (c < 1 || c > 0xffff || w < 1 || w > 0xffff || s < 1 || s > 0xffff || k < 1) throw new WindowEncodeError(`block shape W=${w} S=${s} C=${c} K=${k} out of range`);
  if (k > 1 && s > w) throw new WindowEncodeError('a block of several windows needs S <= W');
  if (block.values.length !== cells || block.mask.length !== cells || block.ingestedAtMs.length !== k) throw new WindowEncodeError('block arrays do not match W, S, C and K');
  if (!(block.intervalMs > 0) || !Number.isFinite(block.startMs)) throw new WindowEncodeError('startMs must be finite and intervalMs positive');
  const seriesBytes = Buffer.byteLength(block.series);
  const groupBytes = Buffer.byteLength(block.group);
  const nameBytes = block.channels.map((name) => Buffer.byteLength(name));
  if (seriesBytes > 0xffff) throw new WindowEncodeError('series id longer than 65535 bytes');
  if (groupBytes > 0xff || nameBytes.some((n) => n > 0xff)) throw new WindowEncodeError('group or channel name longer than 255 bytes');
  let needMask = false;
  for (let i = 0; i < cells && !needMask; i++) needMask = block.mask[i] !== 1;
  let oneIngested = true;
  for (let i = 1; i < k && oneIngested; i++) oneIngested = block.ingestedAtMs[i] === block.ingestedAtMs[0];
  const times = oneIngested ? 1 : k;
  const maskBytes = needMask ? Math.ceil(cells / 8) : 0;
  const size = 4 + 2 + seriesBytes + 1 + groupBytes + 4 + nameBytes.reduce((n, b) => n + 1 + b, 0) + 6 + 16 + 8 * times + 4 * cells + maskBytes;
  const out = Buffer.alloc(size);
  let at = 0;
  out[at++] = WINDOW_MAGIC[0];
  out[at++] = WINDOW_MAGIC[1];
  out[at++] = BLOCK_FORMAT_VERSION;
  out[at++] = (needMask ? FLAG_MASK : 0) | (oneIngested ? FLAG_ONE_INGESTED : 0);
  at = out.writeUInt16LE(seriesBytes, at);
  at += out.write(block.series, at, 'utf8');
  at = out.writeUInt8(groupBytes, at);
  at += out.write(block.group, at, 'utf8');
  at = out.writeUInt16LE(w, at);
  at = out.writeUInt16LE(c, at);
  block.channels.forEach((name, i) => {
    at = out.writeUInt8(nameBytes[i]!, at);
    at += out.write(name, at, 'utf8');
  });
  at = out.writeUInt16LE(s, at);
  at = out.writeUInt32LE(k, at);
  at = out.writeDoubleLE(block.startMs, at);
  at = out.writeDoubleLE(block.intervalMs, at);
  for (let i = 0; i < times; i++) at = out.writeDoubleLE(block.ingestedAtMs[i]!, at);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(block.values.buffer, block.values.byteOffset, 4 * cells), at);
    at += 4 * cells;
  } else {
    for (let i = 0; i < cells; i++) at = out.writeFloatLE(block.values[i]!, at);
  }
  if (needMask) for (let i = 0; i < cells; i++) if (block.mask[i] === 1) out[at + (i >> 3)]! |= 1 << (i & 7);
  return out;
}

/**
 * Decodes one windows-topic message of either format version into its windows, in time order.
 * A version-2 block's windows share one values and one mask array (each window's are views into
 * them), so decoding allocates per block, not per window. Anything else throws WindowDecodeError.
 */
export function decodeWindows(bytes: Uint8Array): Window[] {
  if (bytes.length >= 3 && bytes[0] === WINDOW_MAGIC[0] && bytes[1] === WINDOW_MAGIC[1] && bytes[2] === BLOCK_FORMAT_VERSION) return decodeBlock(bytes);
  return [decodeWindow(bytes)];
}

function decodeBlock(bytes: Uint8Array): Window[] {
  const reader = new Reader(bytes);
  reader.u8();
  reader.u8();
  reader.u8();
  const flags = reader.u8();
  if ((flags & ~(FLAG_MASK | FLAG_ONE_INGESTED)) !== 0) throw new WindowDecodeError(`unknown flags 0x${flags.toString(16)}`);
  const series = reader.text(reader.u16());
  const group = reader.text(reader.u8());
  const w = reader.u16();
  const c = reader.u16();
  if (w < 1 || c < 1) throw new WindowDecodeError('zero steps or channels');
  const channels: string[] = [];
  for (let i = 0; i < c; i++) channels.push(reader.text(reader.u8()));
  const s = reader.u16();
  const k = reader.u32();
  if (s < 1 || k < 1 || (k > 1 && s > w)) throw new WindowDecodeError(`bad block shape S=${s} K=${k} for W=${w}`);
  const startMs = reader.f64();
  const intervalMs = reader.f64();
  const ingested: number[] = [];
  for (let i = 0; i < (flags & FLAG_ONE_INGESTED ? 1 : k); i++) ingested.push(reader.f64());
  if (!Number.isFinite(startMs) || !(intervalMs > 0) || !Number.isFinite(intervalMs) || !ingested.every(Number.isFinite)) {
    throw new WindowDecodeError('non-finite times or non-positive interval');
  }
  const cells = (w + (k - 1) * s) * c;
  const values = new Float32Array(cells);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(values.buffer).set(reader.bytes(4 * cells));
  else for (let i = 0; i < cells; i++) values[i] = reader.f32();
  const mask = new Uint8Array(cells).fill(1);
  if (flags & FLAG_MASK) {
    const packed = reader.bytes(Math.ceil(cells / 8));
    for (let i = 0; i < cells; i++) mask[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  }
  reader.end();
  const out: Window[] = new Array(k);
  for (let i = 0; i < k; i++) {
    const windowStart = startMs + i * s * intervalMs;
    const from = i * s * c;
    out[i] = {
      formatVersion: 2, series, group, startMs: windowStart, endMs: windowStart + (w - 1) * intervalMs, intervalMs, channels,
      values: values.subarray(from, from + w * c), mask: mask.subarray(from, from + w * c), ingestedAtMs: ingested[flags & FLAG_ONE_INGESTED ? 0 : i]!,
    };
  }
  return out;
}
