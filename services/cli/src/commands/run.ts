import { createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { incidentLogPath } from './incidents';
import { join } from 'node:path';
import {
  DEMO_DEFAULTS, HourglassError, detectionQuality, generateDemoStream,
  type AnomalyEvent, type DetectedEpisode, type ExpectedBand, type HourglassConfig, type InjectedAnomaly, type Window,
} from '@hourglass/core';
import { initBackend, requireNativeFromEnv } from '@hourglass/model';
import { createMetricsRegistry, exportBackendInfo, startOpsServer, type Logger, type OpsServer } from '@hourglass/runtime';
import { EmbeddedPipeline, type WindowScore } from '@hourglass/pipeline';
import { demoRecords, openInput, readInput, type InputRecord } from '../embedded/inputs';
import { InputRefusals } from '../embedded/refusals';
import { progressBar } from '../progress';
import { demoConfig } from '../embedded/demo-config';
import { DemoScores, writeDemoReport } from '../embedded/demo-report';

export interface RunOptions {
  readonly input?: string;
  readonly demo?: boolean;
  readonly events?: string;
  readonly stateDir: string;
  readonly metricsPort?: number;
  readonly series: string;
  /** CSV delimiter (one character); default `,` (a tab for .tsv). */
  readonly delimiter?: string;
  /** IANA zone for zone-less timestamps; overrides `ingest.parse.timezone`. */
  readonly timezone?: string;
  /** Also write every scored window's expected-value band to the events output, as `"type": "band"` lines (docs/scorer.md). */
  readonly band?: boolean;
}

/** What `hourglass run` reports at the end (and as JSON with --json). */
export interface RunSummary {
  readonly backend: string;
  readonly series: number;
  readonly points: number;
  readonly rejected: number;
  readonly windows: number;
  readonly events: number;
  readonly episodes: number;
  /** Incidents (episodes of related series grouped; docs/incidents.md), and the file holding their messages. */
  readonly incidents: number;
  readonly incidentsFile: string;
  readonly modelsFitted: number;
  readonly models: Record<string, string | null>;
  readonly fits: readonly { readonly group: string; readonly status: string; readonly reason: string; readonly atWindow: number; readonly code?: string }[];
  readonly precision?: number;
  readonly recall?: number;
  readonly missed?: readonly InjectedAnomaly[];
  readonly seconds: number;
  /** The demo's HTML report. */
  readonly report?: string;
}

/**
 * `hourglass run`: the whole pipeline in one process over a file, stdin, or the built-in demo.
 * Events go to stdout (NDJSON) or `--events FILE`; the summary goes to stderr, or as JSON last.
 */
export async function runEmbedded(config: HourglassConfig, options: RunOptions, log: Logger, env: NodeJS.ProcessEnv): Promise<RunSummary> {
  const started = Date.now();
  if (!options.demo && !options.input) throw new HourglassError('USAGE', 'give --input FILE (CSV or NDJSON, - for stdin) or --demo');
  const { info } = await initBackend({ requireNative: requireNativeFromEnv(env) });
  const registry = createMetricsRegistry('hourglass-embedded');
  exportBackendInfo(registry, info.name);
  let ops: OpsServer | undefined;
  if (options.metricsPort !== undefined) {
    ops = await startOpsServer({ registry, host: config.ops.host, port: options.metricsPort, readiness: () => ({ ready: true, details: {} }) });
    log.info({ metrics: `${ops.url}/metrics` }, 'serving metrics');
  }
  const demo = options.demo ? generateDemoStream() : undefined;
  const effective = demo ? demoConfig(config) : config;
  const events: AnomalyEvent[] = [];
  const demoScores = demo ? new DemoScores() : undefined;
  const out: WriteStream | NodeJS.WriteStream = options.events ? createWriteStream(options.events) : process.stdout;
  mkdirSync(options.stateDir, { recursive: true });
  const incidentsFile = incidentLogPath(options.stateDir);
  const incidentLog = createWriteStream(incidentsFile, { flags: 'a' });
  const incidentIds = new Set<string>();
  const pipeline = new EmbeddedPipeline({
    config: effective, modelsDir: join(options.stateDir, 'models'), codesDir: join(options.stateDir, 'codes'), feedbackDir: join(options.stateDir, 'feedback'), registry, log,
    onIncident: (incident) => {
      incidentIds.add(incident.id);
      incidentLog.write(`${JSON.stringify(incident)}\n`);
    },
    onEvent: (event) => {
      events.push(event);
      out.write(`${JSON.stringify(event)}\n`);
    },
    ...(options.band || demoScores ? { onBands: (windows: readonly Window[], bands: readonly ExpectedBand[], model: { readonly version: string }) => {
      demoScores?.recordBands(windows, bands);
      if (options.band) windows.forEach((w, i) => out.write(`${JSON.stringify({ type: 'band', series: w.series, group: w.group, modelVersion: model.version, ...bands[i] })}\n`));
    } } : {}),
    ...(demoScores ? { onScored: (windows: readonly Window[], scores: readonly WindowScore[], model: { readonly threshold: number }) => demoScores.record(windows, scores, model) } : {}),
  });
  await pipeline.start();
  const parse = options.timezone ? { ...config.ingest.parse, timezone: options.timezone } : config.ingest.parse;
  const totalBytes = options.input && options.input !== '-' ? statSync(options.input).size : 0;
  const progress = progressBar(totalBytes > 0 ? process.stderr : { write: () => undefined });
  let readBytes = 0;
  const refusals = new InputRefusals(options.input === '-' ? 'stdin' : (options.input ?? 'demo'), log);
  const records: Iterable<InputRecord> | AsyncIterable<InputRecord> = demo
    ? demoRecords(demo.points, parse)
    : (() => {
        const { stream, input } = openInput(options.input!, options.delimiter);
        stream.on('data', (chunk: Buffer | string) => progress.update((readBytes += chunk.length) / totalBytes));
        const onColumns = (c: { header: boolean; names: readonly string[] }) => {
          if (!c.header) log.info({ columns: c.names }, 'the CSV has no header; columns guessed from its first row');
        };
        return readInput(stream, { ...input, onColumns }, parse, options.series);
      })();
  let models: Record<string, string | null> = {};
  try {
    for await (const record of records) {
      if (record.result.ok) {
        refusals.accept();
        await pipeline.offer(record.result.point);
      } else {
        pipeline.reject(record.result.reason);
        refusals.refuse({ line: record.line, reason: record.result.reason, detail: record.result.detail });
      }
    }
    refusals.finish();
    models = await pipeline.finish();
  } finally {
    progress.done();
    if (out !== process.stdout) await new Promise<void>((resolve) => (out as WriteStream).end(resolve));
    await new Promise<void>((resolve) => incidentLog.end(resolve));
    await ops?.close();
  }
  const episodes = toEpisodes(events);
  const quality = demo ? detectionQuality(episodes, demo.truth, 32 * DEMO_DEFAULTS.intervalMs) : undefined;
  const summary: RunSummary = {
    backend: info.name, series: demo ? demo.series.length : pipeline.stats.series,
    points: pipeline.stats.points, rejected: pipeline.stats.rejected, windows: pipeline.stats.windows, events: events.length,
    episodes: episodes.length, incidents: incidentIds.size, incidentsFile, modelsFitted: pipeline.stats.fits.filter((f) => f.outcome.status === 'promoted').length,
    models,
    fits: pipeline.stats.fits.map((f) => ({ group: f.group, status: f.outcome.status, reason: f.outcome.reason, atWindow: f.atWindow, ...(f.outcome.status === 'promoted' ? { code: f.outcome.code } : {}) })),
    ...(quality ? { precision: round(quality.precision), recall: round(quality.recall), missed: quality.missed } : {}),
    seconds: round((Date.now() - started) / 1000),
  };
  if (!demo || !demoScores) return summary;
  const report = join(options.stateDir, 'report.html');
  const headline = `${summary.points} points from ${summary.series} series, ${summary.windows} windows, ${summary.modelsFitted} models fitted, ` +
    `${summary.episodes} episodes; precision ${summary.precision} and recall ${summary.recall} against the injected anomalies (backend: ${summary.backend}).`;
  await writeDemoReport(report, demo, demoScores, events, headline);
  return { ...summary, report };
}

/** Pairs each episode's open event with its last event (closed, or the latest update). */
export function toEpisodes(events: readonly AnomalyEvent[]): DetectedEpisode[] {
  const spans = new Map<string, DetectedEpisode>();
  for (const e of events) {
    const end = Date.parse(e.windowEnd);
    const known = spans.get(e.episodeId);
    spans.set(e.episodeId, known ? { ...known, endMs: end } : { series: e.series, startMs: end, endMs: end });
  }
  return [...spans.values()];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
