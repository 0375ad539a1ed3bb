import type { Logger } from 'pino';
import { createMetricsRegistry } from './metrics';
import { startOpsServer, type OpsServer, type Readiness } from './ops-server';
import type { LifecycleState } from './lifecycle';

export interface ServiceShellOptions {
  readonly name: string;
  readonly log: Logger;
  readonly ops: { readonly host: string; readonly port: number };
  /** Named dependency checks; the service is ready when all of them resolve. */
  readonly dependencies: Readonly<Record<string, () => Promise<unknown>>>;
}

/** A running service's outer shell: its ops endpoint, its lifecycle state, and a stop function. */
export interface ServiceShell {
  readonly ops: OpsServer;
  state(): LifecycleState;
  stop(): Promise<void>;
}

/**
 * What every Hourglass service has before its stage does anything: an ops endpoint whose /readyz
 * checks each dependency, and an explicit lifecycle. Stages plug in beside it.
 */
export async function startServiceShell(options: ServiceShellOptions): Promise<ServiceShell> {
  let state: LifecycleState = 'starting';
  const registry = createMetricsRegistry(options.name);
  const readiness = async (): Promise<Readiness> => {
    const details: Record<string, string> = { state };
    let ready = state === 'running';
    for (const [dependency, check] of Object.entries(options.dependencies)) {
      try {
        await check();
        details[dependency] = 'ok';
      } catch (error) {
        ready = false;
        details[dependency] = error instanceof Error ? error.message : String(error);
      }
    }
    return { ready, details };
  };
  const ops = await startOpsServer({ registry, host: options.ops.host, port: options.ops.port, readiness });
  state = 'running';
  options.log.info({ ops: ops.url }, `${options.name} started`);
  return {
    ops,
    state: () => state,
    async stop() {
      if (state === 'stopping' || state === 'stopped') return;
      state = 'stopping';
      await ops.close();
      state = 'stopped';
      options.log.info(`${options.name} stopped`);
    },
  };
}
