/**
 * Every Redis key and channel Hourglass uses, in one place (ARCHITECTURE.md "Contracts"). The
 * prefix is `hourglass:` by default; tests use their own so they never collide.
 */
export interface RedisKeys {
  /** Capped stream of windows judged normal, per model group. */
  buffer(group: string): string;
  /** Hash holding one model version: artifact, report, digest, creation time. */
  modelVersion(group: string, version: string): string;
  /** The `current` pointer of a group: JSON `{ version, sha256 }`. */
  modelCurrent(group: string): string;
  /** Sorted set of a group's versions by sequence number. */
  modelVersions(group: string): string;
  /** Counter that numbers a group's versions. */
  modelSequence(group: string): string;
  /** Capped list of the gate's decisions (newest first), JSON each. */
  modelDecisions(group: string): string;
  /** Pub/sub channel that announces pointer moves. */
  modelsChannel(): string;
  /** Lock that elects the trainer of a group. */
  trainLock(group: string): string;
  /** Hash of per-series episode state of a group (scorer checkpoints). */
  episodes(group: string): string;
  /** Hash of the open incidents of an incidents consumer group `ns` (field = incident id, value = its state as JSON). */
  incidentsOpen(ns: string): string;
  /** The incident an episode belongs to (a string with a TTL of `incidents.retentionMs`). */
  incidentOfEpisode(ns: string, episodeId: string): string;
  /** The newest message of an incident, as JSON (a string with the same TTL). */
  incident(ns: string, id: string): string;
  /** Sorted set of incident ids by start (epoch ms), capped at `incidents.keepIncidents`. */
  incidentsIndex(ns: string): string;
  /** Capped stream of the codes of a group's episodes at their peaks (field `r`: the record as JSON). */
  codes(group: string): string;
  /** Set of the model versions under which a series of the group adopted a new normal (episodes.adoptAfterMs). */
  adoptions(group: string): string;
  /** Hash of the maintenance periods added at run time: field = period id, value = the period as JSON. */
  maintenance(): string;
  /** Capped stream of the windows the scorers kept out of the clean buffer, per group, tagged with their episode (for feedback). */
  heldBack(group: string): string;
  /** Hash of a group's feedback: field = episode id, value = the verdict as JSON. */
  feedback(group: string): string;
  /** Hash of the windows stored with a group's feedback: field = episode id, value = a clean-buffer pack. */
  feedbackWindows(group: string): string;
}

export function redisKeys(prefix = 'hourglass:'): RedisKeys {
  return {
    buffer: (group) => `${prefix}buffer:${group}`,
    modelVersion: (group, version) => `${prefix}model:${group}:${version}`,
    modelCurrent: (group) => `${prefix}model:${group}:current`,
    // Names that cannot be a version (versions are v<number>), so they never collide with one.
    modelVersions: (group) => `${prefix}model:${group}:index`,
    modelSequence: (group) => `${prefix}model:${group}:seq`,
    modelDecisions: (group) => `${prefix}model:${group}:decisions`,
    modelsChannel: () => `${prefix}models`,
    trainLock: (group) => `${prefix}lock:train:${group}`,
    episodes: (group) => `${prefix}episodes:${group}`,
    incidentsOpen: (ns) => `${prefix}incidents:${ns}:open`,
    incidentOfEpisode: (ns, episodeId) => `${prefix}incidents:${ns}:episode:${episodeId}`,
    incident: (ns, id) => `${prefix}incidents:${ns}:doc:${id}`,
    incidentsIndex: (ns) => `${prefix}incidents:${ns}:index`,
    codes: (group) => `${prefix}codes:${group}`,
    adoptions: (group) => `${prefix}adoptions:${group}`,
    maintenance: () => `${prefix}maintenance`,
    heldBack: (group) => `${prefix}heldback:${group}`,
    feedback: (group) => `${prefix}feedback:${group}`,
    // Group names cannot contain ':', so this is never another group's feedback hash.
    feedbackWindows: (group) => `${prefix}feedback:${group}:windows`,
  };
}
