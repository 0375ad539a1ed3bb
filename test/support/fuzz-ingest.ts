import { rssMiB, startServiceProcess, type ServiceProcess } from './processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `hourglass ingest` under hostile input (the fuzz harnesses): started with a config, restarted
 * whenever it exits (each exit recorded in `failures`, so a crash fails the run but the run goes
 * on), its RSS sampled every second while sampling is on, and stopped with SIGTERM (SIGKILL after
 * 10 s).
 */
export class SupervisedIngest {
  private current: ServiceProcess | undefined;
  private stopping = false;
  private sampler: Promise<void> | undefined;
  private sampling = false;
  /** How often ingest exited on its own. */
  exits = 0;
  /** Largest RSS seen, MiB. */
  peakRssMiB = 0;

  constructor(private readonly config: object, private readonly failures: string[]) {}

  /** Starts ingest and waits (60 s at most) until `url`/readyz answers 200. */
  async start(url: string): Promise<void> {
    this.spawn();
    const deadline = Date.now() + 60_000;
    while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error(`ingest did not become ready\n${this.current?.logs().slice(-2000)}`);
      await sleep(200);
    }
  }

  /** The running process's exit code (null while it runs). */
  get exitCode(): number | null | undefined {
    return this.current?.child.exitCode;
  }

  /** Samples RSS every second (and runs `alsoEachSecond`, another sampler of the caller's) until stopSampling. */
  startSampling(alsoEachSecond: () => Promise<void> = async () => undefined): void {
    this.sampling = true;
    this.sampler = (async () => {
      while (this.sampling) {
        this.sample();
        await alsoEachSecond();
        await sleep(1000);
      }
    })();
  }

  /** Stops the sampler, then takes one last sample. */
  async stopSampling(): Promise<void> {
    this.sampling = false;
    await this.sampler;
    this.sample();
  }

  /** From now on an exit is expected: no restart, no failure. */
  stopRestarting(): void {
    this.stopping = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const p = this.current;
    if (!p) return;
    const timer = setTimeout(() => void p.kill('SIGKILL'), 10_000);
    await p.kill('SIGTERM');
    clearTimeout(timer);
  }

  private sample(): void {
    this.peakRssMiB = Math.max(this.peakRssMiB, rssMiB(this.current?.child.pid) ?? 0);
  }

  private spawn(): void {
    const p = startServiceProcess('ingest', this.config, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
    this.current = p;
    p.child.once('exit', (code, signal) => {
      if (this.current !== p || this.stopping) return;
      this.exits++;
      this.failures.push(`ingest exited (code ${code}, signal ${signal}); last log lines:\n${p.logs().slice(-2000)}`);
      this.spawn();
    });
  }
}
