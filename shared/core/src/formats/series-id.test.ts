import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normaliseLabels, seriesId } from './series-id';

test('ids read like Prometheus series: sorted labels, quoted values, odd names quoted', () => {
  assert.equal(seriesId(['cpu', 'usage_user'], normaliseLabels([['region', 'eu'], ['host', 'a']], undefined, undefined)), 'cpu.usage_user{host="a",region="eu"}');
  assert.equal(seriesId(['system.cpu.time'], [['state', 'idle']]), 'system.cpu.time{state="idle"}');
  assert.equal(seriesId(['up'], []), 'up');
  assert.equal(seriesId([], [['host', 'a']]), '{host="a"}');
  assert.equal(seriesId(['my meas', 'f.x'], [['ta g', 'v"\\\n']]), '"my meas"."f.x"{"ta g"="v\\"\\\\\\n"}');
  assert.deepEqual(normaliseLabels([['b', '1'], ['a', '2'], ['b', '3'], ['c', '4']], ['a', 'b'], undefined), [['a', '2'], ['b', '3']], 'a kept list, a later duplicate wins');
  assert.deepEqual(normaliseLabels([['mode', 'idle'], ['cpu', '0']], undefined, 'mode'), [['cpu', '0']]);
});

const part = fc.stringOf(fc.constantFrom('a', 'b', '.', ',', '=', '"', '\\', '{', '}', ' ', '\n', 'é'), { maxLength: 5 });
const labels = fc.uniqueArray(fc.tuple(part, part), { selector: ([k]) => k, maxLength: 3 }).map((l) => normaliseLabels(l, undefined, undefined));

test('property: different names or label sets never share an id (escaping makes ids unambiguous)', () => {
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 2 }), labels, fc.array(part, { minLength: 1, maxLength: 2 }), labels, (n1, l1, n2, l2) => {
      if (n1.length !== n2.length) return; // within one format every name has the same number of parts
      const same = JSON.stringify([n1, l1]) === JSON.stringify([n2, l2]);
      assert.equal(seriesId(n1, l1) === seriesId(n2, l2), same, `${seriesId(n1, l1)} vs ${seriesId(n2, l2)}`);
    }),
    { numRuns: 20_000 },
  );
});
