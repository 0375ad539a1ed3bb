import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AnomalyEvent, EpisodeState } from '../contracts/anomaly-event';
import { incidentId } from '../contracts/incident';
import { compileConfig } from '../config/config';
import { IncidentGrouper, sortEvents, toIncident, type GroupingPolicy, type StagedIncidents } from './incident-grouper';
import { compileIncidentKey } from './incident-key';

const MIN = 60_000;
const policy = (overrides: Partial<GroupingPolicy> = {}): GroupingPolicy => ({
  groupBy: 'group', keyOf: compileIncidentKey({ groupBy: 'group', label: { pattern: '^([^.]+)\\.' }, relations: [] }), joinWithinMs: 5 * MIN, maxOpen: 100, ...overrides,
});

/** An anomaly event of episode `episode` (the open's id) on `series` at minute `minute`. */
function ev(series: string, minute: number, state: EpisodeState, options: { group?: string; episode?: string; severity?: number } = {}): AnomalyEvent {
  const end = new Date(minute * MIN).toISOString();
  const episodeId = options.episode ?? `${series}@${minute}`;
  return {
    id: state === 'open' ? episodeId : `${series}@${minute}:${state}`, episodeId, series, group: options.group ?? 'db', modelVersion: 'v1',
    windowStart: end, windowEnd: end, detectedAt: end, score: 0.999, threshold: 0.99, severity: options.severity ?? 40, state,
    explanation: { topSteps: [], topChannels: [] },
  };
}

/** Stages and applies at once, as a stage whose publish succeeds does. */
function run(grouper: IncidentGrouper, events: readonly AnomalyEvent[], closed: ReadonlyMap<string, string> = new Map()): StagedIncidents {
  const staged = grouper.stage(events, closed);
  grouper.apply(staged);
  return staged;
}

test('four series of one group that spike together form one incident; a fifth group spiking alone forms its own', () => {
  const grouper = new IncidentGrouper(policy());
  const opens = ['db-1', 'db-2', 'db-3', 'db-4'].map((s, i) => ev(s, 10 + (i % 2), 'open'));
  const staged = run(grouper, [...opens, ev('web-1', 10, 'open', { group: 'web' })]);
  const db = staged.changes.filter((c) => c.incident.key === 'group:db');
  assert.deepEqual(db.map((c) => c.state), ['open', 'updated', 'updated', 'updated']);
  assert.equal(db.at(-1)!.incident.members.length, 4);
  assert.equal(db[0]!.incident.id, incidentId('group', 'group:db', 10 * MIN));
  const web = staged.changes.filter((c) => c.incident.key === 'group:web');
  assert.deepEqual(web.map((c) => [c.state, c.incident.members.length]), [['open', 1]]);
  const message = toIncident(db.at(-1)!, 0);
  assert.equal(message.firstSeries, 'db-1');
  assert.equal(message.start, new Date(10 * MIN).toISOString());
  assert.equal(message.revision, 4);
});

test('the incident closes with its last member, and says when; members that close before it make updates', () => {
  const grouper = new IncidentGrouper(policy());
  run(grouper, [ev('db-1', 10, 'open'), ev('db-2', 12, 'open')]);
  const first = run(grouper, [ev('db-1', 15, 'closed', { episode: 'db-1@10' })]);
  assert.deepEqual(first.changes.map((c) => c.state), ['updated']);
  const last = run(grouper, [ev('db-2', 20, 'closed', { episode: 'db-2@12' })]);
  assert.deepEqual(last.changes.map((c) => c.state), ['closed']);
  const message = toIncident(last.changes[0]!, 0);
  assert.equal(message.end, new Date(20 * MIN).toISOString());
  assert.deepEqual(message.members.map((m) => m.closedAt), [new Date(15 * MIN).toISOString(), new Date(20 * MIN).toISOString()]);
  assert.equal(grouper.openIncidents().length, 0);
  assert.deepEqual([...last.closedEpisodes.keys()].sort(), ['db-1@10', 'db-2@12']);
});

test('an episode that opens later than joinWithinMs after the newest member starts a new incident', () => {
  const grouper = new IncidentGrouper(policy());
  const staged = run(grouper, [ev('db-1', 10, 'open'), ev('db-2', 14, 'open'), ev('db-3', 18, 'open'), ev('db-4', 24, 'open')]);
  // db-2 within 5 min of db-1, db-3 within 5 of db-2 (chained), db-4 six minutes after db-3.
  assert.deepEqual(staged.changes.map((c) => [c.state, c.incident.members.length]), [['open', 1], ['updated', 2], ['updated', 3], ['open', 1]]);
});

test('ongoing events update silently unless the severity band rises', () => {
  const grouper = new IncidentGrouper(policy());
  run(grouper, [ev('db-1', 10, 'open', { severity: 30 })]);
  const quiet = run(grouper, [ev('db-1', 11, 'ongoing', { episode: 'db-1@10', severity: 40 })]);
  assert.deepEqual(quiet.outcomes.unchanged, 1);
  assert.equal(quiet.changes.length, 0);
  const rose = run(grouper, [ev('db-1', 12, 'ongoing', { episode: 'db-1@10', severity: 80 })]);
  assert.deepEqual(rose.changes.map((c) => [c.state, c.incident.revision]), [['updated', 2]]);
  const member = toIncident(rose.changes[0]!, 0).members[0]!;
  assert.deepEqual([member.severity, member.peakAt, member.lastAt], [80, new Date(12 * MIN).toISOString(), new Date(12 * MIN).toISOString()]);
});

test('replays change nothing: an event not newer than its member, an episode whose incident closed, a closed never seen open', () => {
  const grouper = new IncidentGrouper(policy());
  run(grouper, [ev('db-1', 10, 'open'), ev('db-1', 12, 'ongoing', { episode: 'db-1@10', severity: 90 })]);
  const again = run(grouper, [ev('db-1', 10, 'open'), ev('db-1', 12, 'ongoing', { episode: 'db-1@10', severity: 90 })]);
  assert.deepEqual([again.changes.length, again.outcomes.replayed], [0, 2]);
  const closed = run(grouper, [ev('db-1', 14, 'closed', { episode: 'db-1@10' })]);
  const id = closed.changes[0]!.incident.id;
  const after = run(grouper, [ev('db-1', 12, 'ongoing', { episode: 'db-1@10' })], new Map([['db-1@10', id]]));
  assert.deepEqual([after.changes.length, after.outcomes.replayed], [0, 1]);
  const orphan = run(grouper, [ev('db-9', 14, 'closed', { episode: 'db-9@3' })]);
  assert.deepEqual([orphan.changes.length, orphan.outcomes.orphaned], [0, 1]);
});

test('a staged batch that is not applied leaves the state as it was: staging it again gives the same messages', () => {
  const grouper = new IncidentGrouper(policy());
  run(grouper, [ev('db-1', 10, 'open')]);
  const batch = [ev('db-2', 11, 'open'), ev('db-1', 13, 'closed', { episode: 'db-1@10' })];
  const failed = grouper.stage(batch, new Map());
  const retried = grouper.stage(batch, new Map());
  assert.deepEqual(retried.changes, failed.changes);
  assert.equal(grouper.openIncidents()[0]!.members.length, 1);
});

test('ids and messages do not depend on how the events were split into batches or ordered within one', () => {
  const events = [
    ev('db-1', 10, 'open'), ev('db-2', 10, 'open'), ev('db-3', 11, 'open'), ev('web-1', 10, 'open', { group: 'web' }),
    ev('db-1', 12, 'ongoing', { episode: 'db-1@10', severity: 80 }), ev('db-2', 13, 'closed', { episode: 'db-2@10' }),
    ev('db-1', 14, 'closed', { episode: 'db-1@10' }), ev('db-3', 14, 'closed', { episode: 'db-3@11' }), ev('web-1', 12, 'closed', { episode: 'web-1@10', group: 'web' }),
    ev('db-4', 30, 'open'), ev('db-4', 31, 'closed', { episode: 'db-4@30' }),
  ];
  const reference = run(new IncidentGrouper(policy()), events).changes.map((c) => toIncident(c, 0));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: events.length, maxLength: events.length }), (weights) => {
      // Event-time order is kept (a series' events come in order), any batch cut, any order within a batch.
      const grouper = new IncidentGrouper(policy());
      const ordered = sortEvents(events);
      const out: ReturnType<typeof toIncident>[] = [];
      let from = 0;
      while (from < ordered.length) {
        const to = from + 1 + ((weights[from] ?? 0) % 3);
        const batch = ordered.slice(from, to).reverse();
        out.push(...run(grouper, batch).changes.map((c) => toIncident(c, 0)));
        from = to;
      }
      assert.deepEqual(out, reference);
    }),
  );
  assert.deepEqual(reference.filter((m) => m.state === 'closed').map((m) => [m.key, m.members.length]), [['group:web', 1], ['group:db', 3], ['group:db', 1]]);
});

test('beyond maxOpen, the incident idle longest is closed to make room', () => {
  const grouper = new IncidentGrouper(policy({ maxOpen: 2, joinWithinMs: 0 }));
  const staged = run(grouper, [ev('db-1', 10, 'open'), ev('db-2', 11, 'open'), ev('db-3', 12, 'open')]);
  assert.deepEqual(staged.changes.map((c) => [c.state, c.incident.members[0]!.series]), [['open', 'db-1'], ['open', 'db-2'], ['open', 'db-3'], ['closed', 'db-1']]);
  assert.equal(staged.forcedCloses, 1);
  assert.equal(grouper.openIncidents().length, 2);
});

test('keys: by label taken from the series id, by configured relation, and a series without one is alone', () => {
  const label = compileIncidentKey(compileConfig({ incidents: { groupBy: 'label' } }).incidents);
  assert.deepEqual(['db-1.latency', 'db-1.errors', 'plain'].map((s) => label(s, 'g')), ['label:db-1', 'label:db-1', 'series:plain']);
  const relation = compileIncidentKey(compileConfig({ incidents: { groupBy: 'relation', relations: [{ name: 'database', match: { glob: 'db-*' } }, { name: 'web', match: { series: ['lb'] } }] } }).incidents);
  assert.deepEqual(['db-7', 'lb', 'cache'].map((s) => relation(s, 'g')), ['relation:database', 'relation:web', 'series:cache']);
});

test('an incident lists earlier incidents like it, from its members\' similar episodes: one per earlier incident, nearest first, never its own members', () => {
  const grouper = new IncidentGrouper(policy());
  // Two earlier incidents: db-1 + db-2 at minute 10, web-1 alone at minute 10.
  run(grouper, [ev('db-1', 10, 'open'), ev('db-2', 10, 'open'), ev('web-1', 10, 'open', { group: 'web' })]);
  const closed = run(grouper, [ev('db-1', 12, 'closed', { episode: 'db-1@10' }), ev('db-2', 12, 'closed', { episode: 'db-2@10' }), ev('web-1', 12, 'closed', { episode: 'web-1@10', group: 'web' })]);
  const like = (episodeId: string, series: string, distance: number) => ({ episodeId, series, group: 'db', at: new Date(10 * MIN).toISOString(), severity: 40, hamming: Math.round(distance * 10), distance, verdict: null });
  const open = (series: string, similar: ReturnType<typeof like>[]) => ({ ...ev(series, 60, 'open'), similar });
  const staged = run(grouper, [
    open('db-3', [like('db-1@10', 'db-1', 0.5), like('web-1@10', 'web-1', 0.9), like('db-4@60', 'db-4', 0.1)]),
    open('db-4', [like('db-2@10', 'db-2', 0.3), like('old', 'db-9', 0.4)]),
  ], closed.closedEpisodes);
  const message = toIncident(staged.changes.at(-1)!, 0, 3);
  const earlierDb = staged.changes.length > 0 ? toIncident(run(new IncidentGrouper(policy()), [ev('db-1', 10, 'open')]).changes[0]!, 0).id : '';
  // db-4@60 is a member: left out. db-1 and db-2 are one earlier incident: its nearest pair (0.3) counts once.
  assert.deepEqual(message.similar.map((s) => [s.incidentId, s.series, s.distance, s.to]), [
    [earlierDb, 'db-2', 0.3, 'db-4'],
    [null, 'db-9', 0.4, 'db-4'],
    [message.similar[2]!.incidentId, 'web-1', 0.9, 'db-3'],
  ]);
  assert.notEqual(message.similar[2]!.incidentId, null);
  assert.deepEqual(message.members.map((m) => m.similar.length), [3, 2]);
  assert.equal(message.members[0]!.similar[0]!.incidentId, earlierDb);
  assert.deepEqual(toIncident(staged.changes.at(-1)!, 0, 1).similar.length, 1);
});

test('an episode that opened in time but arrives after the others closed joins their incident, which reopens', () => {
  const grouper = new IncidentGrouper(policy());
  // db-2 and db-3's partition was ahead: their whole episodes arrive before db-1's open at the same minute.
  const early = run(grouper, [ev('db-2', 10, 'open'), ev('db-3', 10, 'open'), ev('db-2', 13, 'closed', { episode: 'db-2@10' }), ev('db-3', 13, 'closed', { episode: 'db-3@10' })]);
  assert.deepEqual(early.changes.map((c) => c.state), ['open', 'updated', 'updated', 'closed']);
  const late = run(grouper, [ev('db-1', 10, 'open'), ev('db-1', 13, 'closed', { episode: 'db-1@10' })]);
  assert.deepEqual(late.changes.map((c) => [c.state, c.incident.members.length]), [['updated', 3], ['closed', 3]]);
  assert.equal(late.changes[0]!.incident.id, early.changes[0]!.incident.id);
  assert.equal(toIncident(late.changes[0]!, 0).end, null, 'open again');
  assert.equal(toIncident(late.changes[0]!, 0).firstSeries, 'db-1', 'the earliest open, ties by series');
  // An episode far later starts a new incident; the closed one is not reopened by it.
  const next = run(grouper, [ev('db-4', 30, 'open')]);
  assert.deepEqual(next.changes.map((c) => [c.state, c.incident.members.length]), [['open', 1]]);
  assert.equal(grouper.openIncidents().length, 1);
});
