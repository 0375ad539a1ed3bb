import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Version of Hourglass reported by `hourglass_build_info`. */
export const HOURGLASS_VERSION = '0.1.0';

/**
 * A fresh registry (never prom-client's global one) with process metrics and
 * `hourglass_build_info{service,version,node}` set to 1.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hourglass_process_' });
  const buildInfo = new Gauge({
    name: 'hourglass_build_info',
    help: 'Always 1; the labels say which Hourglass build and Node.js runtime this process runs.',
    labelNames: ['service', 'version', 'node'],
    registers: [registry],
  });
  buildInfo.set({ service, version: HOURGLASS_VERSION, node: process.versions.node }, 1);
  return registry;
}

/** Sets `hourglass_backend_info{backend}` to 1 for the TensorFlow backend that this process uses. */
export function exportBackendInfo(registry: Registry, backend: string): void {
  const gauge = new Gauge({
    name: 'hourglass_backend_info',
    help: 'Always 1; the backend label names the TensorFlow.js backend in use (tensorflow = native, wasm = fallback).',
    labelNames: ['backend'],
    registers: [registry],
  });
  gauge.set({ backend }, 1);
}
