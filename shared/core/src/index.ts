export { HourglassError, ConfigError, UnavailableError, describeError, type ConfigIssue } from './errors';
export { compileConfig, type HourglassConfig } from './config/config';
export { type Window, windowSteps } from './contracts/window';
