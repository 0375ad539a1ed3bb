import type { EpisodeCode } from '@hourglass/core';

/**
 * Where the scorers keep the codes of episodes (docs/incidents.md): a capped log per model group,
 * the newest record of an episode replacing older ones. Redis (a stream per group) in the
 * services; a file per group in embedded mode's folder. May fail (Redis down): the scorer carries on.
 */
export interface CodeStore {
  /** Appends records of one group; the group's log then keeps about its newest `maxCodesPerGroup`. */
  append(group: string, records: readonly EpisodeCode[]): Promise<void>;
  /**
   * The group's records after `cursor` (null: from the oldest kept), oldest first, and the cursor
   * to read on from. A scorer reads the whole log once, then what other scorers appended since.
   */
  read(group: string, cursor: string | null): Promise<{ records: EpisodeCode[]; cursor: string | null }>;
}
