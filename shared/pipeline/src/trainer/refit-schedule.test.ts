import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig } from '@hourglass/core';
import { refitDue, refitScheduleOf, type GroupFitState } from './refit-schedule';

const schedule = { minWindows: 100, refitIntervalMs: 60_000, refitAfterNewWindows: 1000, retryAfterMissMs: 5000 };
const fitted = (over: Partial<GroupFitState> = {}): GroupFitState => ({ buffered: 500, added: 500, current: { fittedAtMs: 0, addedAtFit: 500 }, lastMissAtMs: null, ...over });

test('a first fit waits for minWindows clean windows', () => {
  assert.deepEqual(refitDue(schedule, { buffered: 99, added: 99, current: null, lastMissAtMs: null }, 0), { due: false, why: 'too_few_windows' });
  assert.deepEqual(refitDue(schedule, { buffered: 100, added: 100, current: null, lastMissAtMs: null }, 0), { due: true, why: 'first_fit' });
});

test('a group with a model is refitted after the interval or after enough new windows, whichever comes first', () => {
  assert.deepEqual(refitDue(schedule, fitted(), 59_999), { due: false, why: 'not_yet' });
  assert.deepEqual(refitDue(schedule, fitted(), 60_000), { due: true, why: 'interval' });
  assert.deepEqual(refitDue(schedule, fitted({ added: 1500 }), 10), { due: true, why: 'new_windows' });
  assert.deepEqual(refitDue(schedule, fitted({ added: 1499 }), 10), { due: false, why: 'not_yet' });
});

test('after a miss the group waits retryAfterMissMs, whatever else is due', () => {
  fc.assert(fc.property(fc.nat(4999), fc.boolean(), (since, hasModel) => {
    const state = hasModel ? fitted({ added: 10_000, lastMissAtMs: 100_000 }) : { buffered: 10_000, added: 10_000, current: null, lastMissAtMs: 100_000 };
    assert.equal(refitDue(schedule, state, 100_000 + since).why, 'retry_wait');
    assert.equal(refitDue(schedule, state, 100_000 + 5000).due, true);
  }));
});

test('the schedule is the config trainer section, defaults included', () => {
  const config = compileConfig({ trainer: { refitAfterNewWindows: 123 } });
  assert.deepEqual(refitScheduleOf(config.trainer), {
    minWindows: config.trainer.minWindows, refitIntervalMs: config.trainer.refitIntervalMs, refitAfterNewWindows: 123, retryAfterMissMs: config.trainer.retryAfterMissMs,
  });
});
