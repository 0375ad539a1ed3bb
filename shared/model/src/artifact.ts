import { type CalibrationState, HourglassError, type ModelConfig, type ModelType, modelConfigSchema, validateCalibration } from '@hourglass/core';
import { type BandCalibration, validateBand } from './band';
import type { Normalisation, WindowShape } from './data';
import type { WeightSpec } from './models/index';
import { weightSpecs } from './models/index';
import { type ThresholdState, validateThreshold } from './thresholds';
import type { TrainingReport } from './training';
import { type Seasonality, validateSeasonality } from './seasonality';

/**
 * One self-contained model artifact (docs/models.md, "Artifact format"), all integers little-endian:
 *
 *   0   8 bytes  magic "HGMODEL\0"
 *   8   u32      format version (1)
 *   12  u32      manifest length M in bytes
 *   16  M bytes  manifest, UTF-8 JSON (ModelManifest)
 *   …   0–3 zero bytes, so the weights start 4-byte aligned
 *   …   f32[]    the weights, concatenated in manifest.weights order
 *   end u32      CRC-32 (IEEE) of every byte before it
 *
 * Decoding validates everything before a single tensor exists, so a bad artifact never half-loads.
 */

/** The format version this code writes and the only one it reads. */
export const ARTIFACT_FORMAT_VERSION = 1;
/** Default largest artifact accepted (bytes). */
export const DEFAULT_MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const MAGIC = 'HGMODEL\0';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const HEADER = 16;

/** Everything about a model except its weights. */
export interface ModelManifest {
  readonly formatVersion: 1;
  readonly type: ModelType;
  readonly config: ModelConfig;
  readonly shape: WindowShape;
  readonly normalisation: Normalisation;
  readonly calibration: CalibrationState;
  readonly threshold: ThresholdState;
  /** The expected-value band's calibration (band.ts); absent in models fitted before it existed. */
  readonly band?: BandCalibration;
  /** What the codes look like on training windows (the hash is taken around their median); absent in models fitted before it existed. */
  readonly codes?: CodeSummary;
  /** The cycle and its profile, removed from windows before the network (seasonality.ts); absent in models fitted before it existed: none. */
  readonly seasonality?: Seasonality;
  readonly training: TrainingReport;
  readonly weights: readonly WeightSpec[];
}

/** The codes of a model's training windows, summarised: their length and per-dimension median. */
export interface CodeSummary {
  readonly size: number;
  readonly center: readonly number[];
}

/** A decoded, fully validated artifact. */
export interface DecodedArtifact {
  readonly manifest: ModelManifest;
  readonly weights: readonly Float32Array[];
}

/** Serialises a manifest and its weights (no validation: the model only writes what it trained). */
export function encodeArtifact(manifest: ModelManifest, weights: readonly Float32Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const weightsStart = align4(HEADER + json.length);
  const floats = weights.reduce((n, w) => n + w.length, 0);
  const bytes = new Uint8Array(weightsStart + floats * 4 + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, ARTIFACT_FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  bytes.set(json, HEADER);
  let offset = weightsStart;
  for (const w of weights) {
    for (let i = 0; i < w.length; i += 1) view.setFloat32(offset + i * 4, w[i] as number, true);
    offset += w.length * 4;
  }
  view.setUint32(offset, crc32(bytes.subarray(0, offset)), true);
  return bytes;
}

/** Parses and validates an artifact; throws MODEL_ARTIFACT_INVALID (or _TOO_LARGE, _VERSION) naming the problem. */
export function decodeArtifact(bytes: Uint8Array, maxBytes = DEFAULT_MAX_ARTIFACT_BYTES): DecodedArtifact {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected a Uint8Array');
  if (bytes.length > maxBytes) throw new HourglassError('MODEL_ARTIFACT_TOO_LARGE', `model artifact is ${bytes.length} bytes, above the limit of ${maxBytes}`);
  if (bytes.length < HEADER + 4) throw invalid(`truncated: ${bytes.length} bytes is shorter than the header`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw invalid('not a Hourglass model (bad magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== ARTIFACT_FORMAT_VERSION) {
    throw new HourglassError('MODEL_ARTIFACT_VERSION', `model artifact format version ${version} is not supported (this build reads version ${ARTIFACT_FORMAT_VERSION})`);
  }
  const manifestLength = view.getUint32(12, true);
  if (manifestLength > MAX_MANIFEST_BYTES || HEADER + manifestLength + 4 > bytes.length) throw invalid(`truncated or corrupt: manifest length ${manifestLength} does not fit in ${bytes.length} bytes`);
  const body = bytes.length - 4;
  if (crc32(bytes.subarray(0, body)) !== view.getUint32(body, true)) throw invalid('checksum mismatch: the artifact is truncated or corrupt');
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + manifestLength))) as ModelManifest;
  } catch (error) {
    throw invalid('manifest is not valid UTF-8 JSON', error);
  }
  validateManifest(manifest);
  const weightsStart = align4(HEADER + manifestLength);
  const expectedFloats = manifest.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  if (weightsStart + expectedFloats * 4 !== body) throw invalid(`weights take ${body - weightsStart} bytes, the manifest's shapes need ${expectedFloats * 4}`);
  const weights: Float32Array[] = [];
  let offset = weightsStart;
  for (const spec of manifest.weights) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i += 1) {
      const v = view.getFloat32(offset + i * 4, true);
      if (!Number.isFinite(v)) throw invalid(`weight ${spec.name} has a non-finite value at index ${i}`);
      values[i] = v;
    }
    weights.push(values);
    offset += size * 4;
  }
  return { manifest, weights };
}

/** Checks a parsed manifest against what a model of its config must look like. */
function validateManifest(m: ModelManifest): void {
  if (typeof m !== 'object' || m === null) throw invalid('manifest is not an object');
  if (m.formatVersion !== ARTIFACT_FORMAT_VERSION) throw invalid(`manifest format version ${String(m.formatVersion)} differs from the header's`);
  const parsed = modelConfigSchema.safeParse(m.config);
  if (!parsed.success) throw invalid(`config is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (parsed.data.type !== m.type) throw invalid(`type ${String(m.type)} differs from config type ${parsed.data.type}`);
  const shape = m.shape;
  if (!shape || !Number.isInteger(shape.steps) || shape.steps < 2 || shape.steps > 65_536 || !Array.isArray(shape.channels) || shape.channels.length === 0 || shape.channels.some((c) => typeof c !== 'string')) {
    throw invalid('shape must have integer steps ≥ 2 and a non-empty list of channel names');
  }
  const c = shape.channels.length;
  const norm = m.normalisation;
  const finiteList = (v: unknown, len: number) => Array.isArray(v) && v.length === len && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!norm || !finiteList(norm.center, c) || !finiteList(norm.scale, c) || norm.scale.some((s) => !(s > 0))) throw invalid(`normalisation needs ${c} finite centres and ${c} positive scales`);
  if (norm.transform !== undefined && !(Array.isArray(norm.transform) && norm.transform.length === c && norm.transform.every((t) => t === null || (typeof t === 'number' && Number.isFinite(t) && t > 0)))) {
    throw invalid(`normalisation.transform needs ${c} entries, each null or a positive asinh scale`);
  }
  const calibrationIssues = m.calibration ? validateCalibration(m.calibration) : ['calibration is missing'];
  if (calibrationIssues.length > 0) throw invalid(calibrationIssues.join('; '));
  const thresholdIssues = m.threshold ? validateThreshold(m.threshold) : ['threshold is missing'];
  if (thresholdIssues.length > 0) throw invalid(thresholdIssues.join('; '));
  if (m.band !== undefined) {
    const bandIssues = typeof m.band === 'object' && m.band !== null ? validateBand(m.band, c) : ['band must be an object'];
    if (bandIssues.length > 0) throw invalid(bandIssues.join('; '));
  }
  if (m.codes !== undefined) {
    const codes = m.codes as Partial<CodeSummary> | null;
    const ok = typeof codes === 'object' && codes !== null && codes.size === parsed.data.latentSize && Array.isArray(codes.center) && codes.center.length === codes.size && codes.center.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw invalid(`codes needs size ${parsed.data.latentSize} (the latent size) and as many finite centre values`);
  }
  if (m.seasonality !== undefined) {
    const issues = validateSeasonality(m.seasonality, c);
    if (issues.length > 0) throw invalid(issues.join('; '));
  }
  if (!m.training || typeof m.training !== 'object') throw invalid('training report is missing');
  const expected = weightSpecs(parsed.data, shape.steps * c);
  const actual = Array.isArray(m.weights) ? m.weights : [];
  const same = expected.length === actual.length && expected.every((e, i) => actual[i]?.name === e.name && JSON.stringify(actual[i]?.shape) === JSON.stringify(e.shape));
  if (!same) throw invalid(`weight shapes do not match a ${parsed.data.type} model of this config and W·C = ${shape.steps * c}`);
}

function invalid(reason: string, cause?: unknown): HourglassError {
  return new HourglassError('MODEL_ARTIFACT_INVALID', `invalid model artifact: ${reason}`, cause === undefined ? {} : { cause });
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip and PNG), to catch truncation and bit rot. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) crc = (crcTable[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
