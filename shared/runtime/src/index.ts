export { createLogger, type Logger } from './logger';
export { createMetricsRegistry, exportBackendInfo, HOURGLASS_VERSION } from './metrics';
export { startOpsServer, type OpsServer, type OpsServerOptions, type Readiness } from './ops-server';
export { onShutdownSignal, type LifecycleState } from './lifecycle';
export { MicroBatcher } from './micro-batcher';
