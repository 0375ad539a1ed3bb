import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRedis } from '@hourglass/redis';
import { freePort, isOurProcess, spawnDetached, stopProcess, waitFor } from '../infra/processes';
import { SERVICES } from '../infra/services';

/**
 * A server the fault runs own and may restart: a private Kafka broker or Redis, never the shared
 * ones of `infra:up` (other tests run against those). It is started detached in its own temporary
 * folder, killed only by its own pid (checked against that folder), and restarted with the same
 * command line, config and data folder.
 */
export interface PrivateServer {
  readonly name: string;
  readonly dir: string;
  /** The pid of the current incarnation. */
  pid(): number;
  /** SIGTERM (SIGKILL after the grace), then the same command again; resolves when it answers. Returns the seconds it was down. */
  restart(): Promise<{ downSeconds: number; readySeconds: number }>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
  /** The last lines of its own log (every incarnation appends to one file), for failure messages. */
  logTail(lines?: number): string;
}

export interface PrivateKafka extends PrivateServer {
  readonly brokers: string[];
}
export interface PrivateRedis extends PrivateServer {
  readonly url: string;
}

const alive = new Set<{ pid(): number; dir: string }>();
let exitHookInstalled = false;
/** A process that dies without its finally blocks still takes its servers with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const s of alive) {
      try {
        if (isOurProcess(s.pid(), s.dir)) process.kill(s.pid(), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}

async function startDetachedServer(o: {
  name: string; dir: string; command: string; args: string[]; ready: () => Promise<boolean>; startTimeoutMs: number;
}): Promise<PrivateServer> {
  installExitHook();
  const logFile = join(o.dir, `${o.name}.log`);
  const spawnIt = (): number => spawnDetached(o.command, o.args, { logFile, cwd: o.dir });
  const awaitReady = async (pid: number): Promise<void> => {
    const ok = await waitFor(async () => !isOurProcess(pid, o.dir) || (await o.ready()), o.startTimeoutMs, 200);
    if (!ok || !isOurProcess(pid, o.dir)) throw new Error(`private ${o.name} did not become ready within ${o.startTimeoutMs / 1000}s; ${tail(logFile)}`);
  };
  let pid = spawnIt();
  const server: PrivateServer = {
    name: o.name,
    dir: o.dir,
    pid: () => pid,
    async restart() {
      const t0 = Date.now();
      await stopProcess(pid, o.dir, 30_000);
      const down = Date.now();
      pid = spawnIt();
      await awaitReady(pid);
      return { downSeconds: (down - t0) / 1000, readySeconds: (Date.now() - down) / 1000 };
    },
    logTail: (lines = 15) => tail(logFile, lines),
    async stop() {
      alive.delete(server);
      await stopProcess(pid, o.dir, 10_000);
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
  alive.add(server);
  try {
    await awaitReady(pid);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * A private single-node KRaft broker, configured exactly as `infra:up`'s (test/infra/services.ts),
 * in its own temporary folder with its own data folder and ports. `restart()` keeps the data.
 */
export async function startPrivateKafka(log: (line: string) => void = () => undefined): Promise<PrivateKafka> {
  const spec = SERVICES.find((s) => s.name === 'kafka')!;
  spec.prepare(log);
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-faults-kafka-'));
  const { command, args, ports } = await spec.configure(dir, {});
  const server = await startDetachedServer({ name: 'kafka', dir, command, args, ready: () => spec.ready(ports), startTimeoutMs: spec.startTimeoutMs });
  return { ...server, pid: server.pid, restart: server.restart, stop: server.stop, logTail: server.logTail, brokers: [`127.0.0.1:${ports.port}`] };
}

/**
 * A private redis-server with an append-only file (fsync every second), so that a restart (SIGTERM,
 * which flushes the file, then the same command) keeps the registry, the clean buffer and the
 * episode checkpoints, as a production Redis with persistence would.
 */
export async function startPrivateRedisWithData(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-faults-redis-'));
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', data, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no', '--loglevel', 'warning'];
  const server = await startDetachedServer({
    name: 'redis', dir, command: 'redis-server', args, startTimeoutMs: 30_000,
    ready: () => probeRedis(url, 500).then(() => true, () => false),
  });
  return { ...server, pid: server.pid, restart: server.restart, stop: server.stop, logTail: server.logTail, url };
}

function tail(file: string, lines = 15): string {
  try {
    return `last lines of ${file}:\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`;
  } catch {
    return `no log at ${file}`;
  }
}
