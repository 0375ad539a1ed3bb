import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, opsPort } from './config';
import { ConfigError } from '../errors';

test('defaults fill an empty config, and the result is frozen', () => {
  const config = compileConfig({});
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
  assert.ok(Object.isFrozen(config.kafka));
});

test('environment overrides win over the file', () => {
  const config = compileConfig(
    { kafka: { brokers: ['a:1'] } },
    { KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.1:19093', REDIS_URL: 'redis://127.0.0.1:7000' },
  );
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092', '127.0.0.1:19093']);
  assert.equal(config.redis.url, 'redis://127.0.0.1:7000');
});

test('every bad field is reported at once, with its path', () => {
  const error = captureConfigError({ kafka: { brokers: ['nohost'], clientid: 'x' }, redis: { url: 'http://x' }, ops: { port: 70000 } });
  const paths = error.issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['kafka', 'kafka.brokers.0', 'ops.port', 'redis.url']);
  assert.match(error.message, /unknown field 'clientid' \(did you mean 'clientId'\?\)/);
});

test('the input object is not mutated by environment overrides', () => {
  const raw = { kafka: { brokers: ['a:1'] } };
  compileConfig(raw, { KAFKA_BROKERS: 'b:2' });
  assert.deepEqual(raw.kafka.brokers, ['a:1']);
});

function captureConfigError(raw: unknown): ConfigError {
  try {
    compileConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

test('model groups default to one catch-all group, and duplicate names are refused with their path', () => {
  assert.deepEqual(compileConfig({}).groups.map((g) => g.name), ['default']);
  const error = captureConfigError({ groups: [{ name: 'a', match: { glob: '*' } }, { name: 'a', match: {} }] });
  assert.deepEqual(error.issues.map((i) => i.path).sort(), ['groups.1.match', 'groups.1.name']);
});

test('a typo deep inside a group gets a suggestion from that level of the schema', () => {
  const error = captureConfigError({ groups: [{ name: 'g', match: { glob: '*' }, window: { lenghtSteps: 32 } }] });
  assert.equal(error.issues[0]?.path, 'groups.0.window');
  assert.match(error.issues[0]!.message, /'lenghtSteps' \(did you mean 'lengthSteps'\?\)/);
});

test('ops.servicePorts gives each service its own port on one machine; the others fall back to ops.port; two on one port are refused', () => {
  const config = compileConfig({ ops: { port: 9400, servicePorts: { ingest: 9401, scorer: 9402 } } });
  assert.deepEqual([opsPort(config, 'ingest'), opsPort(config, 'scorer'), opsPort(config, 'trainer')], [9401, 9402, 9400]);
  const error = captureConfigError({ ops: { servicePorts: { ingest: 9401, trainer: 9401 } } });
  assert.deepEqual(error.issues.map((i) => [i.path, i.message]), [['ops.servicePorts.trainer', "port 9401 is ingest's too; two services cannot listen on one port"]]);
});

test('each shared topic is named once, in topics; an input that is also an output is refused, and the old fields say where they went', () => {
  const config = compileConfig({ topics: { windows: 'w' } });
  assert.deepEqual(config.topics, { windows: 'w', anomalies: 'hourglass.anomalies', deadLetter: 'hourglass.dlq', incidents: 'hourglass.incidents', feedback: 'hourglass.feedback' });
  const same = captureConfigError({ topics: { windows: 'x', deadLetter: 'x' } });
  assert.deepEqual(same.issues.map((i) => i.path), ['topics.deadLetter']);
  const loop = captureConfigError({ ingest: { topics: ['in', 'hourglass.windows'] } });
  assert.deepEqual(loop.issues.map((i) => i.path), ['ingest.topics.1']);
  const old = captureConfigError({ ingest: { windowsTopic: 'w', deadLetterTopic: 'd' }, scorer: { anomaliesTopic: 'a' } });
  assert.match(old.message, /'windowsTopic' moved to topics\.windows/);
  assert.match(old.message, /'deadLetterTopic' moved to topics\.deadLetter/);
  assert.match(old.message, /'anomaliesTopic' moved to topics\.anomalies/);
});
