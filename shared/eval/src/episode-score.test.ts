import { test } from 'node:test';
import assert from 'node:assert/strict';
import { falsePerThousandRows, scoreEpisodes, sumEpisodeScores } from './episode-score.js';

test('an episode inside a window, or at most the lead before it, finds it; any other episode is false', () => {
  const windows = [[100, 200], [500, 600]] as const;
  const s = scoreEpisodes([95, 150, 300, 499, 601], windows, 2000, 10);
  assert.deepEqual(s, { rows: 2000, episodes: 5, windows: 2, found: 2, falseEpisodes: 2 }, '95 (lead) and 150 find the first; 499 the second; 300 and 601 are false');
  assert.equal(falsePerThousandRows(s), 1);
  assert.deepEqual(scoreEpisodes([], windows, 10, 0), { rows: 10, episodes: 0, windows: 2, found: 0, falseEpisodes: 0 });
  assert.deepEqual(sumEpisodeScores([s, s]), { rows: 4000, episodes: 10, windows: 4, found: 4, falseEpisodes: 4 });
});
