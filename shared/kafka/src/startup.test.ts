import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLevel } from 'kafkajs';
import { toLogCreator } from './client';
import { retryStartup } from './startup';

function recorder() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, sink: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

test('retryStartup logs the first failure and the recovery, not one line per attempt', async () => {
  const { lines, sink } = recorder();
  let calls = 0;
  const result = await retryStartup('subscribing', async () => {
    if (++calls < 6) throw Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });
    return 'ok';
  }, sink, { delayMs: 1 });
  assert.equal(result, 'ok');
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ['warn', 'subscribing failed; retrying every 0.001s, 30 attempts in all'],
    ['info', 'subscribing succeeded after 6 attempts'],
  ]);
});

test('retryStartup throws a non-retriable error at once, and the last error after its attempts', async () => {
  const { lines, sink } = recorder();
  await assert.rejects(retryStartup('connecting', async () => { throw new Error('bad config'); }, sink, { delayMs: 1 }), /bad config/);
  await assert.rejects(retryStartup('connecting', async () => { throw Object.assign(new Error('leader not available'), { retriable: true }); }, sink, { attempts: 3, delayMs: 1 }), /leader not available/);
  assert.equal(lines.length, 1, 'one warning for the three failed attempts');
});

test('kafkajs logs: errors become warnings, and a line repeated in its namespace is logged once', () => {
  const { lines, sink } = recorder();
  const log = toLogCreator(sink)(logLevel.WARN);
  const entry = (message: string, error?: string) => ({ timestamp: 't', logger: 'kafkajs', message, ...(error ? { error } : {}) });
  for (let i = 0; i < 30; i++) log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('Response Metadata', 'This server does not host this topic-partition') });
  log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: entry('Response Metadata', 'This server does not host this topic-partition') });
  log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('Connection error', 'connect ECONNREFUSED') });
  log({ namespace: 'Connection', level: logLevel.INFO, label: 'INFO', log: entry('connected') });
  assert.deepEqual(lines.map((l) => [l.level, l.obj.kafkajs, l.msg]), [
    ['warn', 'Connection', 'Response Metadata'],
    ['warn', 'Consumer', 'Response Metadata'],
    ['warn', 'Connection', 'Connection error'],
    ['info', 'Connection', 'connected'],
  ]);
  assert.equal(lines[0]!.obj.error, 'This server does not host this topic-partition');
});
