import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, compileConfig, encodeWindow, type EpisodeCode, type Window } from '@hourglass/core';
import { DiskCodeStore, DiskHeldBack } from '@hourglass/pipeline';
import { formatFeedback, formatRecorded, giveFeedback, listFeedback } from './feedback';
import { formatSimilar, similarTo } from './similar';

const config = compileConfig({ groups: [{ name: 'db', match: { glob: '*' } }] });
const windowOf = (endS: number): Window => ({
  formatVersion: 1, series: 'db-1', group: 'db', startMs: (endS - 3) * 1000, endMs: endS * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 2, 3, 4), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});
const record = (episodeId: string, similar: EpisodeCode['similar'] = []): EpisodeCode => ({
  v: 1, episodeId, eventId: `${episodeId}-peak`, series: 'db-1', group: 'db', modelVersion: 'v3', hashVersion: 'srp-64-s1',
  openedAt: '2026-11-03T10:15:00.000Z', at: '2026-11-03T10:16:00.000Z', severity: 88, score: 0.9999,
  code: [1, 2], hash: '0123456789abcdef', verdict: null, window: encodeWindow(windowOf(9)).toString('base64'), similar,
});

test('hourglass feedback: bad flags are named together; nothing is stored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-fb-'));
  try {
    await assert.rejects(giveFeedback(config, { event: 'not an id', verdict: 'maybe', by: 'oncall', stateDir: dir }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((i) => i.path).sort(), ['--event', '--verdict']);
      return true;
    });
    assert.deepEqual(await listFeedback(config, { stateDir: dir }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hourglass feedback --state-dir: a verdict by the peak event id, stored with the episode\'s windows, listed, and shown by similar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-fb-'));
  try {
    const closest = { episodeId: 'e1', series: 'db-1', group: 'db', at: '2026-11-03T10:16:00.000Z', severity: 70, hamming: 3, distance: 0.41, verdict: null };
    await new DiskCodeStore(join(dir, 'codes'), 100).append('db', [record('e1'), record('e2', [closest])]);
    await new DiskHeldBack(join(dir, 'feedback', 'heldback'), 100).append('db', [9, 10, 11].map((s) => ({ window: windowOf(s), episodeId: 'e1' })));
    const recorded = await giveFeedback(config, { event: 'e1-peak', verdict: 'false-positive', note: 'backup', by: 'oncall', stateDir: dir });
    assert.deepEqual([recorded.feedback.episodeId, recorded.feedback.windows, recorded.feedback.by, recorded.feedback.source], ['e1', 3, 'oncall', 'cli']);
    assert.match(formatRecorded(recorded), /recorded false-positive for episode e1 on db-1 \(group db\): 3 windows stored; the next refit learns them/);
    const list = await listFeedback(config, { stateDir: dir });
    assert.match(formatFeedback(list), /false-positive +db\/db-1 +episode e1 +3 windows +by oncall - backup\ndb: 1 verdicts, reported precision 0.00/);
    // e2's stored list was written before the verdict; similar shows the verdict given since.
    assert.match(formatSimilar(await similarTo(config, 'e2', { stateDir: dir })), /closest: .* on db-1 \(group db\).*marked false positive \(episode e1\)/);
    assert.match(formatSimilar(await similarTo(config, 'e1', { stateDir: dir })), /episode e1 on db-1 .* marked false positive/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
