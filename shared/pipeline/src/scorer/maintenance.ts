import { Counter, Gauge, type Registry } from 'prom-client';
import { MaintenanceCalendar, describeError, type MaintenancePeriod, type NamedPeriod, type Window } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';

/**
 * Which windows of a batch fall in a maintenance period. The scorer stage asks once per group and
 * batch; windows marked 1 are scored and exported, but move no episode (so publish no event) and
 * never enter the clean buffer. This is a step of its own, before the episode logic, not part of it.
 */
export interface MaintenanceView {
  /** 1 per window (same order) that overlaps a period covering its series; null when no period can apply to the group. */
  mask(group: string, windows: readonly Window[]): Uint8Array | null;
}

/** Where periods added at run time live (the Redis hash of `hourglass maintenance add`). */
export interface MaintenancePeriodSource {
  list(): Promise<{ periods: readonly (MaintenancePeriod & { id: string })[]; invalid: readonly string[] }>;
}

export interface MaintenanceScheduleOptions {
  /** The config file's periods (`maintenance`). */
  readonly configured: readonly MaintenancePeriod[];
  /** Run-time periods; none in embedded mode, which honours the config's alone. */
  readonly source?: MaintenancePeriodSource;
  /** How often `source` is re-read (`scorer.maintenancePollMs`). */
  readonly pollIntervalMs?: number;
  readonly registry: Registry;
  readonly log: Logger;
}

/**
 * The maintenance periods in force: the config's, plus the run-time ones re-read from their
 * source every poll interval, so an added or removed period takes effect without a restart. When
 * the source cannot be read, the last periods read stay in force (and a failure is counted).
 */
export class MaintenanceSchedule implements MaintenanceView {
  private current: MaintenanceCalendar;
  private readonly configured: readonly NamedPeriod[];
  private timer: NodeJS.Timeout | undefined;
  private readonly windows: Counter;
  private readonly periods: Gauge;
  private readonly failures: Counter;

  constructor(private readonly options: MaintenanceScheduleOptions) {
    this.configured = options.configured.map((period, i) => ({ id: period.id ?? `config-${i}`, source: 'config', period }));
    this.current = new MaintenanceCalendar(this.configured);
    const registers = [options.registry];
    this.windows = new Counter({ name: 'hourglass_scorer_maintenance_windows_total', help: 'Windows scored inside a maintenance period, by group: no episode moved, no event published, not buffered.', labelNames: ['group'], registers });
    this.periods = new Gauge({ name: 'hourglass_maintenance_periods', help: 'Maintenance periods known to this process, by source (config, runtime).', labelNames: ['source'], registers });
    this.failures = new Counter({ name: 'hourglass_scorer_maintenance_refresh_failures_total', help: 'Failed re-reads of the run-time maintenance periods (the last ones read stay in force).', registers });
    this.periods.set({ source: 'config' }, this.configured.length);
    this.periods.set({ source: 'runtime' }, 0);
  }

  /** Reads the run-time periods once, then every poll interval. */
  async start(): Promise<void> {
    if (!this.options.source) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.pollIntervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The calendar now (config and run-time periods). */
  calendar(): MaintenanceCalendar {
    return this.current;
  }

  mask(group: string, windows: readonly Window[]): Uint8Array | null {
    const view = this.current.forGroup(group);
    if (view === null) return null;
    const mask = new Uint8Array(windows.length);
    let count = 0;
    windows.forEach((w, i) => {
      if (view.covering(w.series, w.startMs, w.endMs) !== undefined) {
        mask[i] = 1;
        count += 1;
      }
    });
    if (count > 0) this.windows.inc({ group }, count);
    return count > 0 ? mask : null;
  }

  /** Re-reads the run-time periods now; resolves when the new calendar is in force. */
  async refresh(): Promise<void> {
    if (!this.options.source) return;
    try {
      const { periods, invalid } = await this.options.source.list();
      if (invalid.length > 0) this.options.log.warn({ invalid }, 'skipped stored maintenance periods that do not validate; remove them with `hourglass maintenance remove`');
      this.current = new MaintenanceCalendar([...this.configured, ...periods.map((period) => ({ id: period.id, source: 'runtime' as const, period }))]);
      this.periods.set({ source: 'runtime' }, periods.length);
    } catch (error) {
      this.failures.inc();
      this.options.log.warn({ err: describeError(error) }, 'could not re-read the maintenance periods; the last ones read stay in force');
    }
  }
}
