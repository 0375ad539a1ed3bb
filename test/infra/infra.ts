import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES, type ServiceSpec } from './services';
import { isOurProcess, spawnDetached, stopProcess, waitFor } from './processes';
import { stateDir } from './paths';

/** What `infra:up` records about each service it started; the pid is our only kill handle. */
interface ServiceState {
  readonly pid: number;
  readonly ports: Record<string, number>;
  readonly startedAt: string;
}
type InfraState = Partial<Record<ServiceSpec['name'], ServiceState>>;

export type Log = (line: string) => void;

/**
 * Starts every local service that is not already running and ready (idempotent), and returns the
 * addresses to export. Each service runs detached, outlives this process, and is stopped by `down`.
 */
export async function up(log: Log, only?: readonly ServiceSpec['name'][]): Promise<Record<string, string>> {
  return withLock(async (dir) => {
    const state = readState(dir);
    const started: Record<string, Record<string, number>> = {};
    for (const spec of SERVICES.filter((s) => only === undefined || only.includes(s.name))) {
      const current = state[spec.name];
      if (current && isOurProcess(current.pid, dir) && (await spec.ready(current.ports))) {
        started[spec.name] = current.ports;
        continue;
      }
      if (current) await stopProcess(current.pid, dir); // alive but not answering: replace it
      spec.prepare(log);
      const serviceDir = join(dir, spec.name);
      rmSync(serviceDir, { recursive: true, force: true });
      mkdirSync(serviceDir, { recursive: true });
      const { command, args, ports } = await spec.configure(serviceDir, started);
      const logFile = join(serviceDir, `${spec.name}.log`);
      const t0 = Date.now();
      const pid = spawnDetached(command, args, { logFile, cwd: serviceDir });
      state[spec.name] = { pid, ports, startedAt: new Date().toISOString() };
      writeState(dir, state);
      const ok = await waitFor(async () => !isOurProcess(pid, dir) || (await spec.ready(ports)), spec.startTimeoutMs, 250);
      if (!ok || !isOurProcess(pid, dir)) {
        await stopProcess(pid, dir);
        delete state[spec.name];
        writeState(dir, state);
        throw new Error(`${spec.name} did not become ready within ${spec.startTimeoutMs / 1000}s; last lines of ${logFile}:\n${tail(logFile, 15)}`);
      }
      log(`${spec.name} ready on ${Object.values(spec.addresses(ports)).join(' ')} (pid ${pid}, ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      started[spec.name] = ports;
    }
    return addressesOf(state);
  });
}

/** Addresses of the services that are running now; missing ones are named in `missing`. */
export function status(only?: readonly ServiceSpec['name'][]): { addresses: Record<string, string>; missing: string[] } {
  const dir = stateDir();
  const state = readState(dir);
  const missing = SERVICES.filter((s) => only === undefined || only.includes(s.name)).filter((s) => !(state[s.name] && isOurProcess(state[s.name]!.pid, dir))).map((s) => s.name);
  return { addresses: addressesOf(state), missing };
}

/** Stops only the processes that `up` started, by their recorded pids (idempotent). */
export async function down(log: Log): Promise<void> {
  await withLock(async (dir) => {
    const state = readState(dir);
    for (const spec of [...SERVICES].reverse()) {
      const current = state[spec.name];
      if (!current) continue;
      const outcome = await stopProcess(current.pid, dir);
      if (outcome !== 'absent') log(`${spec.name} ${outcome} (pid ${current.pid})`);
      delete state[spec.name];
      writeState(dir, state);
    }
  });
}

function addressesOf(state: InfraState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of SERVICES) {
    const s = state[spec.name];
    if (s) Object.assign(out, spec.addresses(s.ports));
  }
  return out;
}

function readState(dir: string): InfraState {
  const file = join(dir, 'state.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as InfraState) : {};
}

function writeState(dir: string, state: InfraState): void {
  writeFileSync(join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/** Serialises up/down across processes (parallel test files) with an atomic mkdir lock. */
async function withLock<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = stateDir();
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'lock');
  const acquired = await waitFor(() => {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch {
      breakStaleLock(lock);
      return false;
    }
  }, 300_000, 200);
  if (!acquired) throw new Error(`could not take ${lock} within 5 minutes`);
  try {
    return await body(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function breakStaleLock(lock: string): void {
  try {
    const owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (owner > 0) process.kill(owner, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(lock, { recursive: true, force: true });
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
