import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADOPTION_LIMIT, EPISODE_DEFAULTS, INITIAL_SERIES_STATE, cleanEligible, isAdopting, stepEpisode, type EpisodeEvent, type EpisodePolicy, type ScoredWindow, type SeriesEpisodeState } from './episode-tracker';

/** Episodes that open on the first anomalous window and close after three normal ones (not the shipped default), so each window's effect is visible. */
const OPEN_AT_ONCE = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 3 };
const windowAt = (i: number, anomalous: boolean, severity = anomalous ? 60 : 5): ScoredWindow => ({
  series: 's1', group: 'g', modelVersion: 'v1', startMs: (i - 9) * 1000, endMs: i * 1000,
  score: anomalous ? 0.999 : 0.3, threshold: 0.99, severity, anomalous
});

function run(policy: EpisodePolicy, flags: readonly boolean[], from: SeriesEpisodeState = INITIAL_SERIES_STATE, offset = 0) {
  let state = from;
  const events: EpisodeEvent[] = [];
  flags.forEach((flag, i) => {
    const out = stepEpisode(policy, state, windowAt(offset + i, flag));
    state = out.state;
    if (out.event) events.push(out.event);
  });
  return { state, events };
}

test('an episode opens on the first anomalous window and closes after M normal ones', () => {
  const { events } = run(OPEN_AT_ONCE, [false, true, true, false, false, false, false]);
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs]), [['open', 1000], ['closed', 5000]]);
  assert.equal(events[1]!.episodeId, events[0]!.id);
});

test('with K = 3 two anomalous windows in a row open nothing', () => {
  const policy = { ...OPEN_AT_ONCE, openAfterWindows: 3 };
  assert.equal(run(policy, [true, true, false, true, true]).events.length, 0);
  assert.deepEqual(run(policy, [true, true, true]).events.map((e) => e.state), ['open']);
});

test('hysteresis: a normal window inside an episode does not close it', () => {
  const { events } = run(OPEN_AT_ONCE, [true, false, false, true, false, false, false]);
  assert.deepEqual(events.map((e) => e.state), ['open', 'closed']);
});

test('ongoing updates are rate-limited in event time, but a rising severity band is reported at once', () => {
  const policy = { ...OPEN_AT_ONCE, ongoingIntervalMs: 5000 };
  const { events } = run(policy, Array(12).fill(true));
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs]), [['open', 0], ['ongoing', 5000], ['ongoing', 10000]]);
  let state = run(policy, [true]).state;
  const out = stepEpisode(policy, state, windowAt(1, true, 90));
  state = out.state;
  assert.equal(out.event?.state, 'ongoing');
});

test('event ids are deterministic, and a replayed window changes nothing', () => {
  const flags = [true, true, false, false, false];
  assert.deepEqual(run(OPEN_AT_ONCE, flags).events, run(OPEN_AT_ONCE, flags).events);
  const { state } = run(OPEN_AT_ONCE, [true, true]);
  const replay = stepEpisode(OPEN_AT_ONCE, state, windowAt(1, true));
  assert.equal(replay.event, null);
  assert.equal(replay.state, state);
});

test('a checkpointed state continues the same episode after a restart (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), fc.nat(), (flags, cutAt) => {
      const cut = cutAt % flags.length;
      const whole = run(OPEN_AT_ONCE, flags);
      const first = run(OPEN_AT_ONCE, flags.slice(0, cut));
      const restored = JSON.parse(JSON.stringify(first.state)) as SeriesEpisodeState;
      const second = run(OPEN_AT_ONCE, flags.slice(cut), restored, cut);
      assert.deepEqual([...first.events, ...second.events], whole.events);
    }),
  );
});

test('every episode that opens closes exactly once, after its open, and events alternate open…closed (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (flags, k, m) => {
      const { events, state } = run({ ...OPEN_AT_ONCE, openAfterWindows: k, closeAfterWindows: m, ongoingIntervalMs: 0 }, flags);
      let open: string | null = null;
      for (const e of events) {
        if (e.state === 'open') {
          assert.equal(open, null);
          open = e.id;
        } else {
          assert.equal(e.episodeId, open);
          if (e.state === 'closed') open = null;
        }
      }
      assert.equal(open, state.episodeId);
    }),
  );
});

/** Steps one series through windows given as [anomalous, severity] pairs, one second apart. */
function runSeverities(policy: EpisodePolicy, windows: readonly (readonly [boolean, number])[]) {
  let state = INITIAL_SERIES_STATE;
  const events: EpisodeEvent[] = [];
  windows.forEach(([flag, severity], i) => {
    const out = stepEpisode(policy, state, windowAt(i, flag, severity));
    state = out.state;
    if (out.event) events.push(out.event);
  });
  return events;
}

test('a severity floor: anomalous windows below it open nothing, and count as normal inside an episode', () => {
  const policy = { ...OPEN_AT_ONCE, minSeverity: 50 };
  assert.equal(runSeverities(policy, [[true, 30], [true, 45], [false, 5]]).length, 0);
  const events = runSeverities(policy, [[true, 30], [true, 70], [true, 30], [true, 30], [true, 30], [true, 90]]);
  // Opens on the 70; three windows below the floor close it; the 90 opens a second episode.
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs]), [['open', 1000], ['closed', 4000], ['open', 5000]]);
});

test('a minimum duration: a run shorter than it opens nothing, a longer one opens once it has lasted that long', () => {
  const policy = { ...OPEN_AT_ONCE, minDurationMs: 3000 };
  assert.equal(runSeverities(policy, [[true, 60], [true, 60], [true, 60], [false, 5], [true, 60]]).length, 0);
  const events = runSeverities(policy, [[false, 5], [true, 60], [true, 60], [true, 60], [true, 60], [true, 60]]);
  // The run starts at 1000 ms; it spans 3000 ms at the window ending at 4000 ms.
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs]), [['open', 4000]]);
});

test('repeat suppression: a re-alarm soon after a close pages only when it is worse than the closed peak', () => {
  const policy = { ...OPEN_AT_ONCE, closeAfterWindows: 1, suppressRepeatsMs: 10_000 };
  const flicker = runSeverities(policy, [[true, 60], [true, 80], [false, 5], [true, 70], [false, 5], [true, 75], [false, 5]]);
  assert.deepEqual(flicker.map((e) => e.state), ['open', 'ongoing', 'closed'], 'two re-alarms below the peak of 80 within 10 s open nothing');
  const worse = runSeverities(policy, [[true, 60], [false, 5], [true, 90], [false, 5]]);
  assert.deepEqual(worse.map((e) => [e.state, e.window.endMs]), [['open', 0], ['closed', 1000], ['open', 2000], ['closed', 3000]]);
  // After the suppression time, an equal re-alarm is a new page.
  const later = runSeverities(policy, [[true, 60], [false, 5], ...Array.from({ length: 10 }, () => [false, 5] as const), [true, 60]]);
  assert.deepEqual(later.map((e) => e.state), ['open', 'closed', 'open']);
});

test('checkpoints written before the noise-control fields existed still step', () => {
  const old = { anomalousRun: 2, normalRun: 0, episodeId: null, lastEmittedEndMs: 0, lastBand: 0, lastEndMs: 1000 } as SeriesEpisodeState;
  const out = stepEpisode({ ...OPEN_AT_ONCE, openAfterWindows: 3, minDurationMs: 0 }, old, windowAt(2, true));
  assert.equal(out.event?.state, 'open');
});

test('changing normals: an episode open for adoptAfterMs closes as adopted, then the series trains the buffer until a new model', () => {
  const policy = { ...OPEN_AT_ONCE, adoptAfterMs: 5000 };
  let state = INITIAL_SERIES_STATE;
  const events: EpisodeEvent[] = [];
  const eligible: boolean[] = [];
  const step = (i: number, anomalous: boolean, version = 'v1') => {
    const before = state;
    const out = stepEpisode(policy, state, { ...windowAt(i, anomalous), modelVersion: version });
    state = out.state;
    if (out.event) events.push(out.event);
    eligible.push(cleanEligible(anomalous, before, state));
  };
  for (let i = 0; i <= 8; i += 1) step(i, true); // a lasting shift from t = 0
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs, e.adopted ?? false]), [['open', 0, false], ['closed', 5000, true]]);
  assert.equal(isAdopting(state), true);
  assert.deepEqual(eligible, [false, false, false, false, false, true, true, true, true], 'the shift enters the buffer only once adopted');
  // Still flagged, by the old model and by a refit that has not learned it yet: nothing opens.
  step(9, true);
  step(10, true, 'v2');
  assert.equal(events.length, 2);
  assert.equal(state.adoptingVersion, 'v2', 'the adoption follows the newest version, for the trainer');
  // A refit that learned it: M = 3 normal windows in a row end the adoption (one alone does not), and a later anomaly opens a new episode.
  step(10.2, false, 'v3');
  step(10.3, true, 'v3');
  step(10.4, false, 'v3');
  step(10.5, false, 'v3');
  assert.equal(isAdopting(state), true);
  step(10.6, false, 'v3');
  assert.equal(isAdopting(state), false);
  step(11, true, 'v3'); // held back for adoptAfterMs after the adoption ends (the test below)
  assert.deepEqual(events.map((e) => e.state), ['open', 'closed']);
  step(16, true, 'v3');
  assert.deepEqual(events.map((e) => e.state), ['open', 'closed', 'open']);
});

test('changing normals: a short anomaly is never adopted, and a refused refit cannot silence a series for ever', () => {
  const policy = { ...OPEN_AT_ONCE, adoptAfterMs: 5000 };
  const short = runSeverities(policy, [[true, 60], [true, 60], [true, 60], [false, 5], [false, 5], [false, 5]]);
  assert.deepEqual(short.map((e) => [e.state, e.adopted ?? false]), [['open', false], ['closed', false]]);
  // No model ever learns it: adoption ends ADOPTION_LIMIT x adoptAfterMs after it began, and the still-anomalous series alarms again.
  const stuck = runSeverities(policy, Array.from({ length: 27 }, () => [true, 60] as const));
  assert.deepEqual(stuck.map((e) => [e.state, e.window.endMs]), [['open', 0], ['closed', 5000], ['open', 5000 + ADOPTION_LIMIT * 5000]]);
});

test('changing normals: once learned, what a half-learned refit still flags does not page again within adoptAfterMs, unless it is worse', () => {
  const policy = { ...OPEN_AT_ONCE, adoptAfterMs: 5000 };
  const events = runSeverities(policy, [
    [true, 60], [true, 60], [true, 60], [true, 60], [true, 60], [true, 60], // open at 0, adopted at 5000
    [false, 5], [false, 5], [false, 5], // learned at 8000
    [true, 50], [true, 55], // still flagged now and then: held back (below the peak of 60)
    [true, 90], // worse than the adopted peak: a new page
  ]);
  assert.deepEqual(events.map((e) => [e.state, e.window.endMs, e.adopted ?? false]), [['open', 0, false], ['closed', 5000, true], ['open', 11000, false]]);
});
