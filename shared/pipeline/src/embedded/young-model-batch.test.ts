import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MIN_EARLY_BATCH, youngModelBatch } from './young-model-batch';

const group = { hasModel: true, fittedOn: 600, buffered: 600, minWindows: 500, maxWindows: 20_000, firstFit: 'minWindows' as const };

test('a young model closes its next batch after as many windows as it was fitted on', () => {
  assert.equal(youngModelBatch(group), 600);
  assert.equal(youngModelBatch({ ...group, fittedOn: 19_999 }), 19_999);
  assert.equal(youngModelBatch({ ...group, fittedOn: 10 }), MIN_EARLY_BATCH, 'never a batch of a few windows');
});

test('a grown model, or one of an earlier run, closes no batch early', () => {
  assert.equal(youngModelBatch({ ...group, fittedOn: 20_000 }), null);
  assert.equal(youngModelBatch({ ...group, fittedOn: null }), null);
});

test('a cold group closes its batch at minWindows, or leaves the first fit to the caller', () => {
  const cold = { ...group, hasModel: false, fittedOn: null };
  assert.equal(youngModelBatch({ ...cold, buffered: 0 }), 500);
  assert.equal(youngModelBatch({ ...cold, buffered: 420 }), 80);
  assert.equal(youngModelBatch({ ...cold, buffered: 490 }), MIN_EARLY_BATCH);
  assert.equal(youngModelBatch({ ...cold, buffered: 2000 }), 500, 'a refused first fit is tried again after minWindows more');
  assert.equal(youngModelBatch({ ...cold, firstFit: 'caller' }), null);
});

test('refits while young double the data: a fit on n, then on about 2n, until maxWindows', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 5001, max: 50_000 }), (first, maxWindows) => {
    let fittedOn = first;
    let batches = 0;
    for (;;) {
      const close = youngModelBatch({ ...group, fittedOn, buffered: fittedOn, maxWindows });
      if (close === null) break;
      assert.ok(close >= MIN_EARLY_BATCH && close >= fittedOn);
      fittedOn = Math.min(maxWindows, fittedOn + close);
      batches += 1;
    }
    assert.equal(fittedOn, maxWindows);
    // Doubling from `first` (or from MIN_EARLY_BATCH) reaches maxWindows in logarithmically many refits.
    assert.ok(batches <= Math.ceil(Math.log2(maxWindows / Math.min(first, MIN_EARLY_BATCH))) + 1, `${batches} refits`);
  }));
});
