// decodeWindow as it was before issue 17, frozen for bench:scorer's old path: three TextDecoder
// calls and one DataView read per value. Benchmark support only.
import { type Window, WindowDecodeError } from '@hourglass/core';

const WINDOW_MAGIC = [0x48, 0x47] as const;
const WINDOW_FORMAT_VERSION = 1;
const FLAG_MASK = 1;
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function legacyDecodeWindow(bytes: Uint8Array): Window {
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
  for (let i = 0; i < cells; i++) values[i] = reader.f32();
  const mask = new Uint8Array(cells).fill(1);
  if (flags & FLAG_MASK) {
    const packed = reader.bytes(Math.ceil(cells / 8));
    for (let i = 0; i < cells; i++) mask[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  }
  reader.end();
  const endMs = startMs + (steps - 1) * intervalMs;
  return { formatVersion: 1, series, group, startMs, endMs, intervalMs, channels, values, mask, ingestedAtMs };
}

/** A bounds-checked cursor: every read past the end becomes a WindowDecodeError, never a RangeError. */
class Reader {
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
    try {
      return textDecoder.decode(this.bytes(n));
    } catch (error) {
      if (error instanceof WindowDecodeError) throw error;
      throw new WindowDecodeError(`invalid UTF-8 at byte ${this.at - n}`);
    }
  }
  end(): void {
    if (this.at !== this.buf.byteLength) throw new WindowDecodeError(`${this.buf.byteLength - this.at} trailing bytes`);
  }
}
