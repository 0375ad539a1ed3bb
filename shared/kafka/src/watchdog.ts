import type { Consumer } from 'kafkajs';

/**
 * kafkajs can stop fetching for good after a broker restart: no error, no crash event, the process
 * up and looking healthy while its partitions go unread (seen in the fault run: ingest and the
 * scorer both silent for minutes after the broker came back; kafkajs issues 659 and 267 describe the
 * same). A consumer's runner emits an event at the start and end of every fetch and batch, also
 * when nothing arrives (a fetch then returns after maxWaitTimeInMs), so a running consumer that
 * emits none of them for `stallMs` is stuck. Heartbeats do not count: they can go on while the fetch
 * loop is hung.
 */
export interface StallWatch {
  /** Something moved: a fetch or a batch started or ended, or the group was joined. */
  activity(nowMs: number): void;
  /** A timer tick: true when the consumer has been idle for `stallMs` (and was not just paused). */
  stalled(nowMs: number): boolean;
  /** Milliseconds since the last activity. */
  idleMs(nowMs: number): number;
}

/**
 * The decision alone, without timers or kafkajs, for tests. A tick that comes more than `pauseMs`
 * after the previous one means the process itself was not running (SIGSTOP, a VM pause, a long
 * synchronous stretch): that time is not the consumer's fault, so the idle clock restarts.
 */
export function stallWatch(stallMs: number, pauseMs: number, startMs: number): StallWatch {
  let last = startMs;
  let lastTick = startMs;
  return {
    activity(nowMs) {
      last = nowMs;
    },
    stalled(nowMs) {
      if (nowMs - lastTick > pauseMs) last = nowMs;
      lastTick = nowMs;
      return nowMs - last >= stallMs;
    },
    idleMs: (nowMs) => nowMs - last,
  };
}

export interface WatchOptions {
  readonly stallMs: number;
  /** Called once when the consumer is stuck. */
  readonly onStall: (idleMs: number) => void;
  /** Called once when kafkajs gave up on the consumer (a crash it will not restart from). */
  readonly onGaveUp: (error: unknown) => void;
  readonly tickMs?: number;
  readonly now?: () => number;
}

/**
 * Watches a consumer from its `run()` until our code calls its `stop()` or `disconnect()`, and
 * calls `onStall` once when it has been idle for `stallMs`, or `onGaveUp` when kafkajs will not
 * restart it after a crash. kafkajs' own STOP and DISCONNECT events are no guide: it emits both
 * on its way through a crash it then restarts from, and a consumer restarted so must stay watched.
 * The timer never keeps the process alive.
 */
export function watchConsumer(consumer: Consumer, options: WatchOptions): Consumer {
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? Math.max(100, Math.min(1000, Math.floor(options.stallMs / 10)));
  const watch = stallWatch(options.stallMs, 5 * tickMs, now());
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const moved = (): void => watch.activity(now());
  const { FETCH_START, FETCH, START_BATCH_PROCESS, END_BATCH_PROCESS, GROUP_JOIN, CRASH } = consumer.events;
  // A crash it restarts from counts as activity: its wait before the restart is kafkajs' backoff.
  for (const event of [FETCH_START, FETCH, START_BATCH_PROCESS, END_BATCH_PROCESS, GROUP_JOIN, CRASH]) consumer.on(event, moved);
  consumer.on(CRASH, (event) => {
    const { error, restart } = (event as { payload: { error: unknown; restart: boolean } }).payload;
    if (restart || timer === undefined) return;
    stop();
    options.onGaveUp(error);
  });
  for (const method of ['stop', 'disconnect'] as const) {
    const original = consumer[method].bind(consumer);
    consumer[method] = async () => {
      stop();
      await original();
    };
  }
  const run = consumer.run.bind(consumer);
  consumer.run = async (config) => {
    await run(config);
    moved();
    stop();
    timer = setInterval(() => {
      const t = now();
      if (!watch.stalled(t)) return;
      stop();
      options.onStall(watch.idleMs(t));
    }, tickMs);
    timer.unref();
  };
  return consumer;
}
