import { ConfigError, HourglassError, type ModelConfig, type ModelConfigInput, type Window, fitCalibration, modelConfigSchema } from '@hourglass/core';
import { ARTIFACT_FORMAT_VERSION, DEFAULT_MAX_ARTIFACT_BYTES, decodeArtifact } from './artifact';
import { type BackendOptions, type Tf, initBackend } from './backend';
import { type BandCalibration, fitBand } from './band';
import { type Prepared, type WindowShape, checkFinite, checkShape, fitNormalisation, prepare, selectRows, toModelUnits } from './data';
import { AnomalyModel } from './model';
import { type Autoencoder, createNetwork } from './models/index';
import { createRng, permutation } from './random';
import { fitSeasonality } from './seasonality';
import { codeSummary, networkReconstruction, scoreNetwork } from './scoring';
import { chooseThreshold } from './thresholds';
import { type TrainOptions, trainNetwork } from './training';

/** Fewest windows fitModel accepts: enough for a validation set that calibration can use. */
export const MIN_FIT_WINDOWS = 50;

/** Options of fitModel. */
export interface FitOptions extends TrainOptions {
  /** Passed to initBackend (e.g. requireNative). */
  readonly backend?: BackendOptions;
}

/**
 * Fits a model of `config` on normal windows: normalisation on the training split, training with
 * early stopping, then calibration and threshold on the validation split's errors.
 * Throws ConfigError, or HourglassError MODEL_TOO_LITTLE_DATA /
 * MODEL_INPUT_NOT_FINITE / MODEL_INPUT_INVALID / MODEL_CONFIG_INVALID / MODEL_TRAINING_DIVERGED.
 */
export async function fitModel(configInput: ModelConfigInput, windows: readonly Window[], options: FitOptions = {}): Promise<AnomalyModel> {
  const config = parseConfig(configInput);
  const { tf } = await initBackend(options.backend);
  if (windows.length < MIN_FIT_WINDOWS) throw new HourglassError('MODEL_TOO_LITTLE_DATA', `fitting needs at least ${MIN_FIT_WINDOWS} windows, got ${windows.length}`);
  const shape = checkShape(windows);
  checkFinite(windows);
  const dim = shape.steps * shape.channels.length;
  if (config.latentSize >= dim) throw new HourglassError('MODEL_CONFIG_INVALID', `latentSize ${config.latentSize} must be smaller than W·C = ${dim}: the code must be a bottleneck`);
  const rng = createRng(config.seed);
  const order = permutation(windows.length, rng.fork(3));
  const validationCount = Math.max(10, Math.round(windows.length * config.validationFraction));
  const trainRows = order.slice(validationCount).sort((a, b) => a - b);
  const validationRows = order.slice(0, validationCount).sort((a, b) => a - b);
  const normalisation = fitNormalisation(trainRows.map((i) => windows[i] as Window), shape, config.transform);
  const seasonality = fitSeasonality(config.seasonality, trainRows.map((i) => windows[i] as Window), (ch, v) => toModelUnits(normalisation, ch, v));
  const all = prepare(windows, shape, normalisation, { seasonality, level: config.level });
  const train = selectRows(all, trainRows);
  const validation = selectRows(all, validationRows);
  const net = createNetwork(tf, config, dim, null, rng.fork(4));
  try {
    const training = await trainNetwork(tf, net, train, validation, config, rng.fork(5), options);
    const errors = Array.from(scoreNetwork(tf, net, validation).rawError);
    const weightsFinite = net.weights.every((w) => (w.variable.dataSync() as Float32Array).every(Number.isFinite));
    if (!weightsFinite || !errors.every(Number.isFinite)) throw new HourglassError('MODEL_TRAINING_DIVERGED', 'training produced non-finite weights or errors; lower learningRate or check the data');
    const calibration = fitCalibration(errors, config.calibration.tailQuantile);
    const threshold = chooseThreshold(config.threshold, errors);
    const band = newestStepBand(tf, net, validation, shape);
    const weights = net.weights.map((w) => ({ name: w.name, shape: w.variable.shape }));
    return new AnomalyModel(tf, net, { formatVersion: ARTIFACT_FORMAT_VERSION, type: config.type, config, shape, normalisation, calibration, threshold, band, codes: codeSummary(tf, net, train), seasonality, training, weights });
  } catch (error) {
    net.dispose();
    throw error;
  }
}

/** The band's calibration: the newest step's errors (observed minus reconstructed) on the validation windows, per channel. */
function newestStepBand(tf: Tf, net: Autoencoder, validation: Prepared, shape: WindowShape): BandCalibration {
  const recon = networkReconstruction(tf, net, validation);
  const channels = shape.channels.length;
  const errors: number[][] = Array.from({ length: channels }, () => []);
  const newest = (shape.steps - 1) * channels;
  for (let i = 0; i < validation.n; i += 1) {
    for (let c = 0; c < channels; c += 1) {
      const k = i * validation.dim + newest + c;
      if (validation.mask[k] === 1) (errors[c] as number[]).push((validation.x[k] as number) - (recon[k] as number));
    }
  }
  return fitBand(errors, validation.n);
}

/** Options of loadModel. */
export interface LoadOptions {
  /** Largest artifact accepted, bytes; default 64 MiB. */
  readonly maxBytes?: number;
  readonly backend?: BackendOptions;
}

/** Loads an artifact written by toArtifact(); refuses anything corrupt, inconsistent or oversized before creating a tensor. */
export async function loadModel(bytes: Uint8Array, options: LoadOptions = {}): Promise<AnomalyModel> {
  const { manifest, weights } = decodeArtifact(bytes, options.maxBytes ?? DEFAULT_MAX_ARTIFACT_BYTES);
  const { tf } = await initBackend(options.backend);
  const config = manifest.config;
  const net = createNetwork(tf, config, manifest.shape.steps * manifest.shape.channels.length, weights, createRng(config.seed).fork(4));
  return new AnomalyModel(tf, net, manifest);
}

/** Validates and defaults a model config; every bad field is reported at once. */
export function parseConfig(input: ModelConfigInput): ModelConfig {
  const parsed = modelConfigSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), 'model config');
  return parsed.data;
}
