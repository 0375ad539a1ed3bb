import { formatSpec, SampleAssembler, topicParseConfig, type FormatSpec, type GroupConfig, type IngestConfig, type ParseConfig } from '@hourglass/core';

/**
 * The parse settings of every input topic (`ingest.parse` with `parseByTopic` over it), compiled
 * once per topic, and the one SampleAssembler that holds rate and multivariate state for the
 * metric formats across topics. Its state goes with the window state: `forgetAll` on a rebalance,
 * and `replayOffsets` joins the windower's in the commit.
 */
export class TopicParsers {
  readonly assembler: SampleAssembler;
  private readonly byTopic = new Map<string, { parse: ParseConfig; spec: FormatSpec }>();

  constructor(private readonly options: { ingest: Pick<IngestConfig, 'parse' | 'parseByTopic' | 'maxLiveSeries' | 'seriesIdleTimeoutMs'>; groups: readonly GroupConfig[] }) {
    this.assembler = new SampleAssembler({ groups: options.groups, maxLiveSeries: options.ingest.maxLiveSeries, seriesIdleTimeoutMs: options.ingest.seriesIdleTimeoutMs });
  }

  /** The parse config and compiled spec of `topic`. */
  forTopic(topic: string): { parse: ParseConfig; spec: FormatSpec } {
    let entry = this.byTopic.get(topic);
    if (!entry) {
      const parse = topicParseConfig(this.options.ingest, topic);
      entry = { parse, spec: formatSpec(parse) };
      this.byTopic.set(topic, entry);
    }
    return entry;
  }

  /** True when any input topic may carry a metric format (so the assembler can hold state). */
  get hasMetricFormats(): boolean {
    const { parse, parseByTopic } = this.options.ingest;
    return parse.format !== 'json' || Object.values(parseByTopic).some((p) => p.format !== undefined && p.format !== 'json');
  }
}
