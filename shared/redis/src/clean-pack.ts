import { HourglassError, encodeWindowsInto, type Window } from '@hourglass/core';

/**
 * One clean-buffer stream entry holds many windows (field `p`): a scorer writes one entry per
 * batch instead of one XADD per window. Little-endian, versioned:
 *
 *   magic 'H''B' | u8 version=1 | u32 count | count x (u32 length, the window's windows-topic bytes)
 *
 * Each window keeps the windows topic's single-window encoding (window-codec), so the trainer
 * decodes a packed entry with the codec it already has. Entries written before packs (field `w`,
 * one window) are still read.
 */
export const CLEAN_PACK_MAGIC = [0x48, 0x42] as const;
export const CLEAN_PACK_VERSION = 1;

/** A stream entry that is not a version-1 pack. */
export class CleanPackDecodeError extends HourglassError {
  constructor(message: string) {
    super('CLEAN_PACK_DECODE_FAILED', `cannot decode clean-buffer entry: ${message}`);
  }
}

export function encodeCleanPack(items: readonly Uint8Array[]): Buffer {
  let size = 7;
  for (const item of items) size += 4 + item.byteLength;
  const out = Buffer.allocUnsafe(size);
  out[0] = CLEAN_PACK_MAGIC[0];
  out[1] = CLEAN_PACK_MAGIC[1];
  out[2] = CLEAN_PACK_VERSION;
  let at = out.writeUInt32LE(items.length, 3);
  for (const item of items) {
    at = out.writeUInt32LE(item.byteLength, at);
    out.set(item, at);
    at += item.byteLength;
  }
  return out;
}

/**
 * The pack of these windows' windows-topic encodings: the same bytes as
 * `encodeCleanPack(windows.map(encodeWindow))`, written into one buffer (no buffer per window).
 */
export function encodeWindowPack(windows: readonly Window[]): Buffer {
  const out = encodeWindowsInto(windows, 7, 4, (buffer, at, length) => buffer.writeUInt32LE(length, at));
  out[0] = CLEAN_PACK_MAGIC[0];
  out[1] = CLEAN_PACK_MAGIC[1];
  out[2] = CLEAN_PACK_VERSION;
  out.writeUInt32LE(windows.length, 3);
  return out;
}

/** The items of a pack, as views into `bytes` (no copies). */
export function decodeCleanPack(bytes: Buffer): Buffer[] {
  if (bytes.length < 7 || bytes[0] !== CLEAN_PACK_MAGIC[0] || bytes[1] !== CLEAN_PACK_MAGIC[1]) throw new CleanPackDecodeError('bad magic');
  if (bytes[2] !== CLEAN_PACK_VERSION) throw new CleanPackDecodeError(`unsupported version ${bytes[2]}`);
  const count = bytes.readUInt32LE(3);
  const items: Buffer[] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw new CleanPackDecodeError(`truncated at item ${i}`);
    const length = bytes.readUInt32LE(at);
    at += 4;
    if (at + length > bytes.length) throw new CleanPackDecodeError(`truncated in item ${i}`);
    items.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.length) throw new CleanPackDecodeError(`${bytes.length - at} trailing bytes`);
  return items;
}

/**
 * Lua for a capped stream of packs (the clean buffer, the held-back windows): `trimPacks(key,
 * counts, field, held, max)` drops the oldest entries of stream `key` while the rest still hold
 * `max` windows, each entry counting its field `n` (1 when absent: an entry from before packs),
 * keeps the count in hash `counts`, field `field`, and returns it. So a stream holds between the cap
 * and the cap plus one entry.
 */
export const TRIM_PACKS_LUA = `
local function trimPacks(key, counts, field, held, max)
  while true do
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
    local n = 1
    for i = 1, #oldest[2], 2 do if oldest[2][i] == 'n' then n = tonumber(oldest[2][i + 1]) end end
    if held - n < max then break end
    redis.call('XDEL', key, oldest[1])
    held = redis.call('HINCRBY', counts, field, -n)
  end
  return held
end
`;
