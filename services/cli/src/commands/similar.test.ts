import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig, type EpisodeCode, type Incident } from '@hourglass/core';
import { DiskCodeStore } from '@hourglass/pipeline';
import { formatIncident, formatIncidents, listIncidents, showIncident } from './incidents';
import { formatSimilar, similarTo } from './similar';

const config = compileConfig({});
const record = (episodeId: string, series: string, similar: EpisodeCode['similar'] = []): EpisodeCode => ({
  v: 1, episodeId, eventId: `${episodeId}-peak`, series, group: 'db', modelVersion: 'v3', hashVersion: 'srp-64-s1',
  openedAt: '2026-11-03T10:15:00.000Z', at: '2026-11-03T10:16:00.000Z', severity: 88, score: 0.9999,
  code: [1, 2], hash: '0123456789abcdef', verdict: null, window: 'AAAA', similar,
});

test('hourglass similar --event: finds an episode by its id or its peak event id, and says when and where the closest one was, and its verdict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-similar-'));
  const store = new DiskCodeStore(join(dir, 'codes'), 100);
  const closest = { episodeId: 'e1', series: 'db-2', group: 'db', at: '2026-11-03T10:16:00.000Z', severity: 70, hamming: 3, distance: 0.41, verdict: 'false-positive' as const };
  await store.append('db', [record('e1', 'db-2'), record('e2', 'db-1'), record('e2', 'db-1', [closest])]);
  for (const id of ['e2', 'e2-peak']) {
    const found = await similarTo(config, id, { stateDir: dir });
    assert.equal(found.episode.episodeId, 'e2');
    assert.deepEqual(found.similar, [closest], 'the newest record of the episode');
    assert.equal('window' in found.episode, false);
  }
  const text = formatSimilar(await similarTo(config, 'e2', { stateDir: dir }));
  assert.match(text, /closest: 2026-11-03T10:16:00.000Z on db-2 \(group db\), distance 0.410, 3 bits differ, severity 70.0, marked false positive/);
  await assert.rejects(similarTo(config, 'nope', { stateDir: dir }), /no stored episode code for 'nope'/);
});

test('hourglass incidents list|show --state-dir: the newest revision of each incident from an embedded run\'s log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-incidents-'));
  const incident = (id: string, revision: number, start: string, state: Incident['state']): Incident => ({
    id, revision, state, groupBy: 'group', key: 'group:db', firstSeries: 'db-1', start, end: state === 'closed' ? start : null, updatedAt: start, detectedAt: start,
    severity: 50, members: [{ series: 'db-1', group: 'db', episodeId: 'e', modelVersion: 'v1', openedAt: start, lastAt: start, closedAt: null, severity: 50, peakAt: start, state: 'open', similar: [] }], similar: [],
  });
  const lines = [incident('a', 1, '2026-01-01T00:00:00.000Z', 'open'), incident('b', 1, '2026-01-02T00:00:00.000Z', 'open'), incident('a', 2, '2026-01-01T00:00:00.000Z', 'closed')];
  writeFileSync(join(dir, 'incidents.ndjson'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"torn`);
  const listed = await listIncidents(config, { stateDir: dir }, 10);
  assert.deepEqual(listed.map((i) => [i.id, i.revision]), [['b', 1], ['a', 2]]);
  assert.match(formatIncidents(listed), /^b {2}open/);
  const shown = await showIncident(config, { stateDir: dir }, 'a');
  assert.equal(shown.state, 'closed');
  assert.match(formatIncident(shown), /similar earlier incidents: none/);
  await assert.rejects(showIncident(config, { stateDir: dir }, 'zzz'), /no incident 'zzz'/);
});
