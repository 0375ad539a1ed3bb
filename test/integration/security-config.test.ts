import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig, type ConfigError } from '@hourglass/core';
import { describeRedisSecurity, probeRedis, resolveRedisSecurity } from '@hourglass/redis';
import { createMetricsRegistry, startOpsServer } from '@hourglass/runtime';
import { secondLoopback } from '../support/secure-fixtures';

/** Issue 11, security: the config and adapter halves that need no server. */

const files: Record<string, string> = { '/s/redis.password': 'r3dis-pw\n', '/s/ca.pem': 'CA PEM', '/s/cert.pem': 'CERT', '/s/key.pem': 'KEY' };
const read = (path: string): string => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return content;
};

test('redis config: username, passwordFile and tls files; TLS and credentials resolved from files', () => {
  const config = compileConfig({ redis: { url: 'redis://10.0.0.5:6380', username: 'hourglass', passwordFile: '/s/redis.password', tls: { caFile: '/s/ca.pem', certFile: '/s/cert.pem', keyFile: '/s/key.pem' } } });
  assert.deepEqual(config.redis.tls, { enabled: true, caFile: '/s/ca.pem', certFile: '/s/cert.pem', keyFile: '/s/key.pem', rejectUnauthorized: true });
  assert.deepEqual(resolveRedisSecurity(config.redis, read), {
    username: 'hourglass', password: 'r3dis-pw', tls: { rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT', key: 'KEY' },
  });
  assert.equal(describeRedisSecurity(config.redis), 'TLS, user hourglass');
  // rediss:// alone means TLS with the system CAs; plain defaults change nothing.
  assert.deepEqual(resolveRedisSecurity(compileConfig({ redis: { url: 'rediss://r:6379' } }).redis, read), { tls: { rejectUnauthorized: true } });
  assert.deepEqual(resolveRedisSecurity(compileConfig({}).redis, read), {});
  assert.deepEqual(resolveRedisSecurity('redis://127.0.0.1:6379', read), {});
  assert.equal(describeRedisSecurity('redis://127.0.0.1:6379'), 'no TLS, no auth');
});

test('redis config refuses contradictions, field by field', () => {
  const problems = (raw: unknown): string[] => {
    try {
      compileConfig(raw);
      return [];
    } catch (error) {
      return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  };
  assert.deepEqual(problems({ redis: { url: 'redis://u:pw@h:1', passwordFile: '/s/redis.password' } }), ['redis.passwordFile: give the password in the URL or in passwordFile, not both']);
  assert.deepEqual(problems({ redis: { url: 'rediss://h:1', tls: { enabled: false } } }), ['redis.tls.enabled: a rediss:// URL always uses TLS; use redis:// for plaintext']);
  assert.deepEqual(problems({ redis: { tls: { certFile: '/c' } } }), ['redis.tls: certFile and keyFile go together']);
  assert.match(problems({ redis: { tls: { caFle: '/c' } } })[0]!, /unknown field 'caFle' \(did you mean 'caFile'\?\)/);
});

test('an unreadable Redis secret file is reported by path, never by content', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-seccfg-'));
  try {
    const missing = join(dir, 'nope');
    assert.throws(() => resolveRedisSecurity({ url: 'redis://h:1', passwordFile: missing }), (e: unknown) => (e as { code?: string }).code === 'CONFIG_SECRET_UNREADABLE' && (e as Error).message.includes(`${missing}: ENOENT`));
    writeFileSync(join(dir, 'pw'), 'do-not-print-me');
    await assert.rejects(probeRedis({ url: 'redis://127.0.0.1:9', passwordFile: join(dir, 'pw') }, 500), (e: Error) => /unreachable/.test(e.message) && !e.message.includes('do-not-print-me'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ops.host: /metrics and the health endpoints listen on the configured address only', async () => {
  const host = (await secondLoopback()) ?? '127.0.0.1';
  const config = compileConfig({ ops: { host, port: 0 } });
  assert.equal(config.ops.host, host);
  assert.equal(compileConfig({}).ops.host, '127.0.0.1', 'loopback unless asked');
  const ops = await startOpsServer({ registry: createMetricsRegistry('hourglass-test'), host: config.ops.host, port: config.ops.port, readiness: () => ({ ready: true, details: {} }) });
  try {
    assert.equal(new URL(ops.url).hostname, host);
    assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${ops.url}/metrics`)).status, 200);
    if (host !== '127.0.0.1') await assert.rejects(fetch(`http://127.0.0.1:${ops.port}/healthz`));
  } finally {
    await ops.close();
  }
});
