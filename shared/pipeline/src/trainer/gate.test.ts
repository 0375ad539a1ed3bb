import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '@hourglass/core';
import { judge } from './gate';
import { refitPolicy } from './refit-policy';

/** The schema's gate defaults. */
const GATE_DEFAULTS = refitPolicy(compileConfig({})).gate;

test('the first model is promoted unless it raises too many false alarms on clean data', () => {
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.01 }, null).promote, true);
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.06 }, null).promote, true, 'a first model gets the looser budget');
  const refused = judge({ ...GATE_DEFAULTS, firstModelOverBudget: 'refuse' }, { meanError: 1, falseAlarmRate: 0.3 }, null);
  assert.equal(refused.promote, false);
  assert.match(refused.reason, /false-alarm rate 30.0%/);
});

test('by default a first model over its budget is taken, with a code that says so (a group without a model detects nothing)', () => {
  assert.equal(GATE_DEFAULTS.firstModelOverBudget, 'take');
  const taken = judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.3 }, null);
  assert.deepEqual([taken.promote, taken.code], [true, 'first_model_over_budget']);
  assert.match(taken.reason, /30.0%.*exceeds 10.0%/);
  // Only a first model: a candidate over budget against a current model is still refused.
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.3 }, { meanError: 1, falseAlarmRate: 0.01 }).promote, false);
});

test('a worse candidate is rejected, an equal or better one promoted', () => {
  const current = { meanError: 1, falseAlarmRate: 0.01 };
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1.5, falseAlarmRate: 0.01 }, current).promote, false);
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1.05, falseAlarmRate: 0.01 }, current).promote, true);
  assert.equal(judge(GATE_DEFAULTS, { meanError: 0.5, falseAlarmRate: 0.05 }, current).promote, false, 'better error but more false alarms');
});

test('when the current model already raises many false alarms (drift), a candidate that raises fewer wins', () => {
  const drifted = { meanError: 9, falseAlarmRate: 0.4 };
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.02 }, drifted).promote, true);
});

test('every verdict carries a code beside its sentence, so nothing has to parse the sentence', () => {
  const current = { meanError: 1, falseAlarmRate: 0.01 };
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.01 }, null).code, 'first_model');
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.5 }, null).code, 'first_model_over_budget');
  assert.equal(judge({ ...GATE_DEFAULTS, firstModelOverBudget: 'refuse' }, { meanError: 1, falseAlarmRate: 0.5 }, null).code, 'false_alarms');
  assert.equal(judge(GATE_DEFAULTS, { meanError: 2, falseAlarmRate: 0.01 }, current).code, 'worse_error');
  assert.equal(judge(GATE_DEFAULTS, { meanError: 1, falseAlarmRate: 0.01 }, current).code, 'gate_passed');
});

test('a first model taken over budget is replaced by a candidate within the budget or raising fewer false alarms than it did, whatever the errors', () => {
  // The current model wins on error and false alarms: the held-out windows are the ones it let into the clean buffer.
  const current = { meanError: 1, falseAlarmRate: 0 };
  const provisional = { falseAlarmRate: 0.17 };
  const within = judge(GATE_DEFAULTS, { meanError: 30, falseAlarmRate: 0.05 }, current, provisional);
  assert.equal(within.promote, true, within.reason);
  assert.equal(within.code, 'gate_passed');
  assert.equal(judge(GATE_DEFAULTS, { meanError: 30, falseAlarmRate: 0.15 }, current, provisional).promote, true, 'fewer than the 17 % it was taken with');
  const worse = judge(GATE_DEFAULTS, { meanError: 0.5, falseAlarmRate: 0.2 }, current, provisional);
  assert.deepEqual([worse.promote, worse.code], [false, 'false_alarms']);
  // Without it, a candidate that raises hardly any false alarms is refused on its error alone.
  assert.equal(judge(GATE_DEFAULTS, { meanError: 30, falseAlarmRate: 0.01 }, current).code, 'worse_error');
  assert.equal(judge(GATE_DEFAULTS, { meanError: 30, falseAlarmRate: 0.01 }, current, provisional).promote, true);
});
