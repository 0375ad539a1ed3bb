import { startServiceShell, type ServiceShell, type ServiceShellOptions } from '@hourglass/runtime';

/**
 * The ingest service. This is its skeleton: it serves /metrics, /healthz and /readyz and shuts
 * down gracefully, and its readiness reflects its dependencies. The stage itself is issue #5 (Kafka points to sliding windows).
 */
export const SERVICE_NAME = 'hourglass-ingest';

export function startIngest(options: Omit<ServiceShellOptions, 'name'>): Promise<ServiceShell> {
  return startServiceShell({ ...options, name: SERVICE_NAME });
}
