import type { ModelConfig } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';
import type { WeightSpec } from './dense';
import type { Autoencoder } from './types';
import { createDeterministic, deterministicSpecs } from './undercomplete';
import { createVariational, variationalSpecs } from './variational';

export type { Autoencoder, TrainStep } from './types';
export type { WeightSpec } from './dense';

/** The weights a model of this config and input size must have, in artifact order. */
export function weightSpecs(config: ModelConfig, dim: number): WeightSpec[] {
  return config.type === 'variational' ? variationalSpecs(config, dim) : deterministicSpecs(config, dim);
}

/** Builds the network of `config.type`, from saved `values` or initialised from `rng`. */
export function createNetwork(tf: Tf, config: ModelConfig, dim: number, values: readonly Float32Array[] | null, rng: Rng): Autoencoder {
  return config.type === 'variational' ? createVariational(tf, config, dim, values, rng) : createDeterministic(tf, config.type, config, dim, values, rng);
}
