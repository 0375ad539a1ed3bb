import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from './config';
import { topicParseConfig } from './ingest-config';

test('parseByTopic: per-topic parse fields over ingest.parse; a key that is no input topic is refused with its path', () => {
  const config = compileConfig({ ingest: { topics: ['points', 'telegraf'], topicPatterns: ['otel\\..*'], parse: { maxSeriesBytes: 300 }, parseByTopic: { telegraf: { format: 'influx', channels: 'fields' }, 'otel.metrics': { format: 'otlp-proto' } } } });
  const telegraf = topicParseConfig(config.ingest, 'telegraf');
  assert.equal(telegraf.format, 'influx');
  assert.equal(telegraf.channels, 'fields');
  assert.equal(telegraf.maxSeriesBytes, 300, 'fields the entry leaves out come from ingest.parse');
  assert.equal(topicParseConfig(config.ingest, 'points').format, 'json');
  assert.equal(topicParseConfig(config.ingest, 'otel.metrics').format, 'otlp-proto');
  assert.throws(() => compileConfig({ ingest: { topics: ['points'], parseByTopic: { telegarf: { format: 'influx' } } } }), /ingest\.parseByTopic\.telegarf.*not an input topic/s);
  assert.throws(() => compileConfig({ ingest: { parse: { format: 'influxdb' } } }), /ingest\.parse\.format/);
  assert.throws(() => compileConfig({ ingest: { parse: { channels: { label: '' } } } }), /ingest\.parse\.channels/);
  assert.throws(() => compileConfig({ ingest: { parseByTopic: { 'hourglass.points': { fromat: 'influx' } } } }), /fromat.*did you mean 'format'/s);
});
