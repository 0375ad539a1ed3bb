import type { Redis } from 'ioredis';
import type { Incident, OpenIncident } from '@hourglass/core';
import type { RedisKeys } from './keys';

/** What one batch of the incidents stage changed (the pipeline's IncidentChanges, structurally). */
export interface IncidentWrites {
  readonly open: readonly OpenIncident[];
  readonly closed: readonly string[];
  readonly episodes: ReadonlyMap<string, string>;
  readonly latest: readonly Incident[];
}

export interface RedisIncidentStoreOptions {
  /** Keys are namespaced by the incidents consumer group, so two deployments on one Redis never share state. */
  readonly namespace: string;
  /** Incidents kept for list/show (`incidents.keepIncidents`). */
  readonly keep: number;
  /** TTL of the episode -> incident entries and of the incident documents (`incidents.retentionMs`). */
  readonly retentionMs: number;
}

/**
 * The incidents stage's state in Redis: a hash of the open incidents and the newest closed one of
 * each key (the checkpoint a replacement continues from), one key per episode naming its incident (with a TTL, so replays of a closed
 * incident's events are recognised for `retentionMs`), and the newest message of each incident
 * with a capped index by start, which `hourglass incidents list|show` read. One batch is one
 * MULTI transaction.
 */
export class RedisIncidentStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys, private readonly options: RedisIncidentStoreOptions) {}

  async loadOpen(): Promise<OpenIncident[]> {
    const all = await this.redis.hvals(this.keys.incidentsOpen(this.options.namespace));
    return all.map((text) => JSON.parse(text) as OpenIncident);
  }

  async incidentsOf(episodeIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (episodeIds.length === 0) return out;
    const ns = this.options.namespace;
    const values = await this.redis.mget(...episodeIds.map((e) => this.keys.incidentOfEpisode(ns, e)));
    values.forEach((id, i) => {
      if (id) out.set(episodeIds[i]!, id);
    });
    return out;
  }

  async save(changes: IncidentWrites): Promise<void> {
    const { namespace: ns, keep, retentionMs } = this.options;
    const tx = this.redis.multi();
    const openKey = this.keys.incidentsOpen(ns);
    if (changes.open.length > 0) tx.hset(openKey, Object.fromEntries(changes.open.map((i) => [i.id, JSON.stringify(i)])));
    if (changes.closed.length > 0) tx.hdel(openKey, ...changes.closed);
    for (const [episode, id] of changes.episodes) tx.set(this.keys.incidentOfEpisode(ns, episode), id, 'PX', retentionMs);
    for (const incident of changes.latest) {
      tx.set(this.keys.incident(ns, incident.id), JSON.stringify(incident), 'PX', retentionMs);
      tx.zadd(this.keys.incidentsIndex(ns), Date.parse(incident.start), incident.id);
    }
    if (changes.latest.length > 0) tx.zremrangebyrank(this.keys.incidentsIndex(ns), 0, -(keep + 1));
    const results = await tx.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** The newest `limit` incidents by start, newest first. */
  async list(limit: number): Promise<Incident[]> {
    const ns = this.options.namespace;
    const ids = await this.redis.zrevrange(this.keys.incidentsIndex(ns), 0, Math.max(0, limit - 1));
    if (ids.length === 0) return [];
    const docs = await this.redis.mget(...ids.map((id) => this.keys.incident(ns, id)));
    return docs.filter((d): d is string => d !== null).map((d) => JSON.parse(d) as Incident);
  }

  async get(id: string): Promise<Incident | null> {
    const text = await this.redis.get(this.keys.incident(this.options.namespace, id));
    return text === null ? null : (JSON.parse(text) as Incident);
  }
}
