import { startServiceShell, type ServiceShell, type ServiceShellOptions } from '@hourglass/runtime';

/**
 * The scorer service. This is its skeleton: it serves /metrics, /healthz and /readyz and shuts
 * down gracefully, and its readiness reflects its dependencies. The stage itself is issue #6 (batch scoring, anomaly episodes, clean buffer).
 */
export const SERVICE_NAME = 'hourglass-scorer';

export function startScorer(options: Omit<ServiceShellOptions, 'name'>): Promise<ServiceShell> {
  return startServiceShell({ ...options, name: SERVICE_NAME });
}
