export { HourglassError, ConfigError, UnavailableError, describeError, type ConfigIssue } from './errors';
export { compileConfig, type HourglassConfig } from './config/config';
export { type Window, windowSteps } from './contracts/window';
export { groupConfigSchema, type GroupConfig } from './config/groups';
export { windowConfigSchema, type WindowConfig } from './config/window-config';
export { modelConfigSchema, type ModelConfig } from './config/model-config';
