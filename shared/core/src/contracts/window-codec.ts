import { HourglassError } from '../errors';
import type { Window } from './window';

/**
 * The binary encoding of a Window on the windows topic (format version 1). All integers and floats
 * are little-endian; strings are UTF-8 with a length prefix. docs/ingest.md has the table:
 *
 *   magic 'H''G' | u8 version=1 | u8 flags (bit 0: mask follows) | u16 series length, series
 *   | u8 group length, group | u16 steps W | u16 channels C | C x (u8 length, name)
 *   | f64 startMs | f64 intervalMs | f64 ingestedAtMs | W*C x f32 values (time-major)
 *   | when flag bit 0: ceil(W*C/8) bytes of mask bits, LSB first (absent = every value observed)
 */
export const WINDOW_MAGIC = [0x48, 0x47] as const;

/** The only format version this build writes and reads. */
export const WINDOW_FORMAT_VERSION = 1;

const FLAG_MASK = 1;
/** The wire format is little-endian; on such hosts (nearly all) Float32Array bytes copy as they are. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** Bytes that are not a version-1 window: wrong magic or version, truncated, inconsistent, trailing. */
export class WindowDecodeError extends HourglassError {
  constructor(message: string) {
    super('WINDOW_DECODE_FAILED', `cannot decode window: ${message}`);
  }
}

/** A Window that cannot be encoded (a field out of the format's range); a bug in the caller. */
export class WindowEncodeError extends HourglassError {
  constructor(message: string) {
    super('WINDOW_ENCODE_FAILED', `cannot encode window: ${message}`);
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a window into the version-1 binary format; throws WindowEncodeError for out-of-range fields. */
export function encodeWindow(window: Window): Buffer {
  const channels = window.channels.length;
  const cells = window.values.length;
  if (channels < 1 || channels > 0xffff) throw new WindowEncodeError(`channel count ${channels} outside 1..65535`);
  const steps = cells / channels;
  if (!Number.isInteger(steps) || steps < 1 || steps > 0xffff) throw new WindowEncodeError(`${cells} values do not make 1..65535 steps of ${channels} channels`);
  if (window.mask.length !== cells) throw new WindowEncodeError(`mask has ${window.mask.length} entries for ${cells} values`);
  if (!(window.intervalMs > 0) || !Number.isFinite(window.startMs)) throw new WindowEncodeError('startMs must be finite and intervalMs positive');
  // Buffer.byteLength/write are much faster than TextEncoder for the short strings of every window.
  const seriesBytes = Buffer.byteLength(window.series);
  const groupBytes = Buffer.byteLength(window.group);
  const nameBytes = window.channels.map((c) => Buffer.byteLength(c));
  if (seriesBytes > 0xffff) throw new WindowEncodeError('series id longer than 65535 bytes');
  if (groupBytes > 0xff || nameBytes.some((n) => n > 0xff)) throw new WindowEncodeError('group or channel name longer than 255 bytes');
  let needMask = false;
  for (let i = 0; i < cells && !needMask; i++) needMask = window.mask[i] !== 1;
  const maskBytes = needMask ? Math.ceil(cells / 8) : 0;
  const size = 2 + 1 + 1 + 2 + seriesBytes + 1 + groupBytes + 4 + nameBytes.reduce((n, b) => n + 1 + b, 0) + 24 + 4 * cells + maskBytes;
  const out = Buffer.alloc(size);
  let at = 0;
  out[at++] = WINDOW_MAGIC[0];
  out[at++] = WINDOW_MAGIC[1];
  out[at++] = WINDOW_FORMAT_VERSION;
  out[at++] = needMask ? FLAG_MASK : 0;
  at = out.writeUInt16LE(seriesBytes, at);
  at += out.write(window.series, at, 'utf8');
  at = out.writeUInt8(groupBytes, at);
  at += out.write(window.group, at, 'utf8');
  at = out.writeUInt16LE(steps, at);
  at = out.writeUInt16LE(channels, at);
  window.channels.forEach((name, c) => {
    at = out.writeUInt8(nameBytes[c]!, at);
    at += out.write(name, at, 'utf8');
  });
  at = out.writeDoubleLE(window.startMs, at);
  at = out.writeDoubleLE(window.intervalMs, at);
  at = out.writeDoubleLE(window.ingestedAtMs, at);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(window.values.buffer, window.values.byteOffset, 4 * cells), at);
    at += 4 * cells;
  } else {
    for (let i = 0; i < cells; i++) at = out.writeFloatLE(window.values[i]!, at);
  }
  if (needMask) {
    for (let i = 0; i < cells; i++) if (window.mask[i] === 1) out[at + (i >> 3)]! |= 1 << (i & 7);
  }
  return out;
}

/** Decodes one version-1 window; any other input throws WindowDecodeError saying what is wrong. */
export function decodeWindow(bytes: Uint8Array): Window {
  const reader = new Reader(bytes);
  if (reader.u8() !== WINDOW_MAGIC[0] || reader.u8() !== WINDOW_MAGIC[1]) throw new WindowDecodeError('bad magic (not a Hourglass window)');
  const version = reader.u8();
  if (version !== WINDOW_FORMAT_VERSION) throw new WindowDecodeError(`unsupported format version ${version}`);
  const flags = reader.u8();
  if ((flags & ~FLAG_MASK) !== 0) throw new WindowDecodeError(`unknown flags 0x${flags.toString(16)}`);
  const series = reader.text(reader.u16());
  const group = reader.text(reader.u8());
  const steps = reader.u16();
  const channelCount = reader.u16();
  if (steps < 1 || channelCount < 1) throw new WindowDecodeError('zero steps or channels');
  const channels: string[] = [];
  for (let c = 0; c < channelCount; c++) channels.push(reader.text(reader.u8()));
  const startMs = reader.f64();
  const intervalMs = reader.f64();
  const ingestedAtMs = reader.f64();
  if (!Number.isFinite(startMs) || !(intervalMs > 0) || !Number.isFinite(intervalMs) || !Number.isFinite(ingestedAtMs)) {
    throw new WindowDecodeError('non-finite times or non-positive interval');
  }
  const cells = steps * channelCount;
  const values = new Float32Array(cells);
  if (LITTLE_ENDIAN_HOST) {
    // One copy of the bytes as they are, instead of a DataView read per value.
    new Uint8Array(values.buffer).set(reader.bytes(4 * cells));
  } else {
    for (let i = 0; i < cells; i++) values[i] = reader.f32();
  }
  const mask = new Uint8Array(cells).fill(1);
  if (flags & FLAG_MASK) {
    const packed = reader.bytes(Math.ceil(cells / 8));
    for (let i = 0; i < cells; i++) mask[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  }
  reader.end();
  const endMs = startMs + (steps - 1) * intervalMs;
  return { formatVersion: 1, series, group, startMs, endMs, intervalMs, channels, values, mask, ingestedAtMs };
}

/** Longest string decoded by String.fromCharCode (its arguments go on the stack). */
const ASCII_FAST_PATH_MAX = 256;

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** A bounds-checked cursor: every read past the end becomes a WindowDecodeError, never a RangeError. Shared with block-codec.ts. */
export class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private take(n: number): number {
    if (this.at + n > this.buf.byteLength) throw new WindowDecodeError(`truncated at byte ${this.at} (needs ${n} more, has ${this.buf.byteLength - this.at})`);
    const start = this.at;
    this.at += n;
    return start;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }
  bytes(n: number): Uint8Array {
    const start = this.take(n);
    return this.buf.subarray(start, start + n);
  }
  text(n: number): string {
    const bytes = this.bytes(n);
    // Series ids, groups and channel names are nearly always ASCII, which needs no UTF-8 decoder.
    if (n <= ASCII_FAST_PATH_MAX && isAscii(bytes)) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    try {
      return textDecoder.decode(bytes);
    } catch (error) {
      if (error instanceof WindowDecodeError) throw error;
      throw new WindowDecodeError(`invalid UTF-8 at byte ${this.at - n}`);
    }
  }
  end(): void {
    if (this.at !== this.buf.byteLength) throw new WindowDecodeError(`${this.buf.byteLength - this.at} trailing bytes`);
  }
}
