import { startServiceShell, type ServiceShell, type ServiceShellOptions } from '@hourglass/runtime';

/**
 * The trainer service. This is its skeleton: it serves /metrics, /healthz and /readyz and shuts
 * down gracefully, and its readiness reflects its dependencies. The stage itself is issue #7 (periodic refits, model registry).
 */
export const SERVICE_NAME = 'hourglass-trainer';

export function startTrainer(options: Omit<ServiceShellOptions, 'name'>): Promise<ServiceShell> {
  return startServiceShell({ ...options, name: SERVICE_NAME });
}
