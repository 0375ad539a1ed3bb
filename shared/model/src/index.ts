export { initBackend, requireNativeFromEnv, BackendUnavailableError, type BackendInfo, type BackendName, type BackendOptions, type Tf } from './backend';
