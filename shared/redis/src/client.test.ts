import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from './client';

test('redactUrl hides the password and keeps the rest', () => {
  assert.equal(redactUrl('redis://user:s3cret@127.0.0.1:6379/0'), 'redis://user:***@127.0.0.1:6379/0');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redactUrl('not a url'), '<unparseable redis url>');
});
