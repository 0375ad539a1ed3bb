import { z } from 'zod';

/**
 * The input formats ingest reads (docs/ingest.md, "Formats"). `json` is Hourglass' own shape
 * (one point per message, parse-point.ts); the others carry many points per message.
 */
export const INPUT_FORMATS = ['json', 'influx', 'prometheus-json', 'otlp-json', 'otlp-proto'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** A metric-name glob: `*` and `?`, anchored to the whole name. */
const glob = z.string().min(1);

/**
 * The `ingest.parse` fields of the metric formats (`influx`, `prometheus-json`, `otlp-json`,
 * `otlp-proto`); the `json` format ignores all but `format`. Spread into parseConfigSchema, so
 * each is documented once, here.
 */
export const formatFields = {
  /** The shape of every message on the topic: `json`, `influx` (line protocol), `prometheus-json` (prometheus-kafka-adapter), `otlp-json` or `otlp-proto` (OTLP ExportMetricsServiceRequest). Default `json`. */
  format: z.enum(INPUT_FORMATS).default('json'),
  /** Labels (tags, attributes) that make the series id, besides the metric name; absent labels are left out. Default: all of them. */
  labels: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Multivariate points: `none` (each metric, or Influx field, is its own univariate series), `fields`
   * (the field keys of an Influx line, or the metric names of one label set, are the channels of
   * one point), or `{ label: NAME }` (that label's values are the channels, and it leaves the id). Default `none`.
   */
  channels: z.union([z.enum(['none', 'fields']), z.object({ label: z.string().min(1) }).strict()]).default('none'),
  /**
   * Counters turned into per-second rates per series (monotonic, reset-aware): `counters` (the
   * typed ones: OTLP monotonic sums and histogram/summary counts and sums, Prometheus names ending
   * in `_total`, `_count`, `_sum` or `_bucket`), `none`, or a list of metric-name globs. Default `counters`.
   */
  rates: z.union([z.enum(['counters', 'none']), z.array(glob).min(1)]).default('counters'),
  /** OTLP histograms and summaries: `count-sum` takes their count and sum (as `NAME_count`, `NAME_sum`), `refuse` dead-letters them as `unsupported_metric`. Default `count-sum`. */
  histograms: z.enum(['count-sum', 'refuse']).default('count-sum'),
  /** OTLP summary quantiles taken as gauges (`NAME{quantile="0.99"}`), when the point has them. Default none. */
  quantiles: z.array(z.number().min(0).max(1)).default([]),
  /** Unit of Influx line-protocol timestamps (Telegraf's default is `ns`). Default `ns`. */
  timestampPrecision: z.enum(['ns', 'us', 'ms', 's']).default('ns'),
};

/** The channel option as validated. */
export type ChannelsOption = 'none' | 'fields' | { readonly label: string };
/** The rates option as validated. */
export type RatesOption = 'counters' | 'none' | readonly string[];
