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
  const layout = windowLayout(window);
  const out = Buffer.allocUnsafe(layout.size);
  writeWindow(window, layout, out, 0);
  return out;
}

/**
 * Encodes windows one after the other into one buffer, each prefixed by `prefixBytes` bytes that
 * `writePrefix(out, at, length)` fills (a pack's u32 length): one allocation for the lot instead of
 * one per window, with the same bytes per window as encodeWindow. `headerBytes` are left at the start.
 */
export function encodeWindowsInto(windows: readonly Window[], headerBytes: number, prefixBytes: number, writePrefix: (out: Buffer, at: number, length: number) => void): Buffer {
  // A block's windows share their series, group and channels: measured once per run of them.
  let previous: { window: Window; layout: WindowLayout } | null = null;
  const layouts = windows.map((window) => {
    const layout = previous && sameLabels(previous.window, window) ? withMask(previous.layout, window) : windowLayout(window);
    previous = { window, layout };
    return layout;
  });
  let size = headerBytes;
  for (const l of layouts) size += prefixBytes + l.size;
  const out = Buffer.allocUnsafe(size);
  let at = headerBytes;
  windows.forEach((window, i) => {
    const layout = layouts[i] as WindowLayout;
    writePrefix(out, at, layout.size);
    at = writeWindow(window, layout, out, at + prefixBytes);
  });
  return out;
}

interface WindowLayout {
  readonly size: number;
  readonly steps: number;
  readonly seriesBytes: number;
  readonly groupBytes: number;
  readonly nameBytes: readonly number[];
  readonly needMask: boolean;
}

/** The same series, group and channels array (windows decoded from one block share them). */
function sameLabels(a: Window, b: Window): boolean {
  return a.series === b.series && a.group === b.group && a.channels === b.channels && a.values.length === b.values.length && a.mask.length === b.mask.length;
}

/** A layout measured for a window with the same labels, for this window (whose times are checked, and whose mask may differ). */
function withMask(layout: WindowLayout, window: Window): WindowLayout {
  if (!(window.intervalMs > 0) || !Number.isFinite(window.startMs)) throw new WindowEncodeError('startMs must be finite and intervalMs positive');
  const cells = window.values.length;
  let needMask = false;
  for (let i = 0; i < cells && !needMask; i++) needMask = window.mask[i] !== 1;
  if (needMask === layout.needMask) return layout;
  const maskBytes = Math.ceil(cells / 8);
  return { ...layout, needMask, size: layout.size + (needMask ? maskBytes : -maskBytes) };
}

/** Checks a window against the format's ranges and measures its encoding. */
function windowLayout(window: Window): WindowLayout {
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
  return { size, steps, seriesBytes, groupBytes, nameBytes, needMask };
}

/** Writes a window's bytes at `at` (every byte of its layout.size, so `out` may be unzeroed); returns the offset after them. */
function writeWindow(window: Window, layout: WindowLayout, out: Buffer, at: number): number {
  const cells = window.values.length;
  out[at++] = WINDOW_MAGIC[0];
  out[at++] = WINDOW_MAGIC[1];
  out[at++] = WINDOW_FORMAT_VERSION;
  out[at++] = layout.needMask ? FLAG_MASK : 0;
  at = out.writeUInt16LE(layout.seriesBytes, at);
  at += out.write(window.series, at, 'utf8');
  at = out.writeUInt8(layout.groupBytes, at);
  at += out.write(window.group, at, 'utf8');
  at = out.writeUInt16LE(layout.steps, at);
  at = out.writeUInt16LE(window.channels.length, at);
  window.channels.forEach((name, c) => {
    at = out.writeUInt8(layout.nameBytes[c]!, at);
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
  if (layout.needMask) {
    const maskBytes = Math.ceil(cells / 8);
    out.fill(0, at, at + maskBytes);
    for (let i = 0; i < cells; i++) if (window.mask[i] === 1) out[at + (i >> 3)]! |= 1 << (i & 7);
    at += maskBytes;
  }
  return at;
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
