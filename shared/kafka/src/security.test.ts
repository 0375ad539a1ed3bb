import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaSecuritySchema } from '@hourglass/core';
import { resolveKafkaSecurity, SecretFileError } from './security';

const files: Record<string, string> = { '/s/password': 's3cret\n', '/s/ca.pem': 'CA PEM', '/s/cert.pem': 'CERT', '/s/key.pem': 'KEY' };
const read = (path: string): string => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return content;
};

test('SASL with a password file uses TLS by default and reads the trimmed password', () => {
  const config = kafkaSecuritySchema.parse({ sasl: { mechanism: 'scram-sha-512', username: 'u', passwordFile: '/s/password' } });
  assert.deepEqual(resolveKafkaSecurity(config, read), { ssl: { rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's3cret' } });
});

test('TLS files are read; tls.enabled=false gives SASL_PLAINTEXT; no section gives plaintext', () => {
  const tls = kafkaSecuritySchema.parse({ tls: { caFile: '/s/ca.pem', certFile: '/s/cert.pem', keyFile: '/s/key.pem' } });
  assert.deepEqual(resolveKafkaSecurity(tls, read), { ssl: { rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT', key: 'KEY' } });
  const plain = kafkaSecuritySchema.parse({ sasl: { mechanism: 'plain', username: 'u', password: 'p' }, tls: { enabled: false } });
  assert.deepEqual(resolveKafkaSecurity(plain, read), { sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  assert.deepEqual(resolveKafkaSecurity(kafkaSecuritySchema.parse({}), read), {});
});

test('an unreadable secret file is a config error naming the path, and the schema wants exactly one password source', () => {
  const config = kafkaSecuritySchema.parse({ sasl: { mechanism: 'plain', username: 'u', passwordFile: '/s/missing' } });
  assert.throws(() => resolveKafkaSecurity(config, read), (e: unknown) => e instanceof SecretFileError && e.code === 'CONFIG_SECRET_UNREADABLE' && /\/s\/missing: ENOENT/.test(e.message));
  assert.equal(kafkaSecuritySchema.safeParse({ sasl: { mechanism: 'plain', username: 'u', password: 'p', passwordFile: '/x' } }).success, false);
  assert.equal(kafkaSecuritySchema.safeParse({ tls: { certFile: '/x' } }).success, false);
});
