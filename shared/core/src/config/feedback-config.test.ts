import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../errors';
import { compileConfig } from './config';
import { parseFeedbackRequest } from '../contracts/feedback';

test('the feedback section: defaults, and every bad field reported with its path at once', () => {
  const config = compileConfig({});
  assert.deepEqual(
    { ...config.feedback },
    { enabled: true, consumeTopic: true, groupId: 'hourglass-feedback', createTopic: false, topicPartitions: 1, falsePositiveWeight: 10, maxWindowsPerEpisode: 256, heldBackMaxWindows: 20_000 },
  );
  assert.equal(config.topics.feedback, 'hourglass.feedback');
  try {
    compileConfig({ feedback: { falsePositiveWeight: 0, maxWindowsPerEpisode: 'many', heldBackMaxWindow: 5 }, topics: { feedback: 'hourglass.anomalies' } });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const paths = error.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['feedback', 'feedback.falsePositiveWeight', 'feedback.maxWindowsPerEpisode', 'topics.feedback'], JSON.stringify(error.issues));
    assert.match(error.issues.find((i) => i.path === 'feedback')!.message, /did you mean 'heldBackMaxWindows'/);
  }
});

test('a feedback message: a valid verdict, or every problem with its path', () => {
  assert.deepEqual(parseFeedbackRequest('{"event":"3f1c","verdict":"confirmed","note":"disk full","by":"ana"}'), { ok: true, request: { event: '3f1c', verdict: 'confirmed', note: 'disk full', by: 'ana' } });
  const bad = parseFeedbackRequest('{"event":"a b","verdict":"maybe","extra":1}');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['', 'event', 'verdict']);
  const text = parseFeedbackRequest('not json');
  assert.equal(text.ok, false);
  if (!text.ok) assert.match(text.issues[0]!.message, /not JSON/);
});
