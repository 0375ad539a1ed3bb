import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integrationInfrastructure } from '../support/fixtures';
import { runFuzz } from '../support/faults-fuzz';
import { runFormatFuzz } from '../support/faults-fuzz-formats';

// The bounded form of `npm run test:fuzz`: 20,000 hostile messages and 20,000 distinct series
// (twice maxLiveSeries) against one `hourglass ingest` process on the shared broker (its own topics).
test('fuzz: hostile input never crashes ingest, stays bounded, and every refusal is on the DLQ with its reason', { timeout: 300_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const summary = await runFuzz({ brokers: infra.kafkaBrokers, hostile: 20_000, distinctSeries: 20_000, seed: 5, maxLiveSeries: 10_000, rssBoundMiB: 512, log: (l) => t.diagnostic(l) });
  t.diagnostic(JSON.stringify(summary));
  assert.deepEqual(summary.failures, []);
  assert.equal(summary.ingest.exits, 0);
  assert.equal(summary.mustRejectMissingFromDlq, 0);
  assert.equal(summary.deadLetters.distinct, summary.outcomes.rejected);
  assert.ok(summary.ingest.evictions > 0, 'the cardinality attack went past maxLiveSeries');
});

// The metric formats (Influx, prometheus-json, OTLP protobuf and JSON): 400 hostile messages each,
// among them batches of 300 points (thousands in test:fuzz), against one ingest reading the four topics.
test('fuzz, metric formats: truncated protobuf, wrong types, escaped tags, huge batches; nothing crashes, every refusal on the DLQ', { timeout: 300_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const summary = await runFormatFuzz({ brokers: infra.kafkaBrokers, perFormat: 400, seed: 7, hugeBatchPoints: 300, rssBoundMiB: 512, log: (l) => t.diagnostic(l) });
  t.diagnostic(JSON.stringify(summary));
  assert.deepEqual(summary.failures, []);
  assert.equal(summary.ingest.exits, 0);
  assert.equal(summary.deadLetters.total, summary.outcomes.rejected);
  assert.ok(summary.deadLetters.points > 0 && summary.deadLetters.wholeMessages > 0, 'both kinds of refusal happened');
});
