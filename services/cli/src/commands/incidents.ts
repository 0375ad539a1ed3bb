import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HourglassError, type HourglassConfig, type Incident } from '@hourglass/core';
import { redisIncidentStore } from '@hourglass/incidents';
import { newestFirst, type IncidentReader } from '@hourglass/pipeline';
import { withRedis } from './redis-session';

/** The file `hourglass run` appends every incident message to, in its state folder. */
export function incidentLogPath(stateDir: string): string {
  return join(stateDir, 'incidents.ndjson');
}

/** Where `hourglass incidents list|show` read: embedded mode's folder (`--state-dir`), else Redis of the config. */
export interface IncidentSource {
  readonly stateDir?: string;
}

/** `hourglass incidents list`: the newest incidents by start, newest first. */
export async function listIncidents(config: HourglassConfig, source: IncidentSource, limit: number): Promise<Incident[]> {
  return withReader(config, source, (reader) => reader.list(limit));
}

/** `hourglass incidents show ID`: the newest message of one incident. */
export async function showIncident(config: HourglassConfig, source: IncidentSource, id: string): Promise<Incident> {
  const found = await withReader(config, source, (reader) => reader.get(id));
  if (!found) throw new HourglassError('INCIDENT_UNKNOWN', `no incident '${id}' ${source.stateDir ? `in ${incidentLogPath(source.stateDir)}` : `in Redis (incidents of consumer group '${config.incidents.groupId}')`}`);
  return found;
}

/** One line per incident: id, state, start, members, severity, key and first series. */
export function formatIncidents(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return '(no incidents)';
  return incidents
    .map((i) => `${i.id}  ${i.state.padEnd(7)} ${i.start}  ${String(i.members.length).padStart(3)} member${i.members.length === 1 ? ' ' : 's'}  severity ${i.severity.toFixed(0).padStart(3)}  ${i.key}  first: ${i.firstSeries}`)
    .join('\n');
}

/** An incident with its members, one per line. */
export function formatIncident(i: Incident): string {
  const lines = [
    `incident ${i.id} (revision ${i.revision}): ${i.state}, ${i.key} (grouped by ${i.groupBy})`,
    `  start ${i.start}, end ${i.end ?? '(open)'}, severity ${i.severity.toFixed(1)}, first series ${i.firstSeries}`,
    `  members (${i.members.length}):`,
    ...i.members.map((m) => `    ${m.series} [${m.group} ${m.modelVersion}] episode ${m.episodeId}: opened ${m.openedAt}, ${m.closedAt ? `closed ${m.closedAt}` : m.state}, peak severity ${m.severity.toFixed(1)} at ${m.peakAt}`),
  ];
  if (i.similar.length === 0) lines.push('  similar earlier incidents: none');
  else lines.push('  similar earlier incidents (nearest member pair first):');
  for (const s of i.similar) {
    const verdict = s.verdict === 'false-positive' ? 'marked false positive' : s.verdict === 'confirmed' ? 'confirmed' : 'not judged';
    lines.push(`    ${s.incidentId ?? '(incident no longer known)'}: ${s.at} on ${s.series}, like ${s.to}, distance ${s.distance.toFixed(3)}, ${s.hamming} bits differ, ${verdict}`);
  }
  return lines.join('\n');
}

/** The incident messages of an embedded run's log, newest revision of each. */
export class IncidentLogReader implements IncidentReader {
  constructor(private readonly path: string) {}

  async list(limit: number): Promise<Incident[]> {
    return newestFirst([...this.read().values()]).slice(0, limit);
  }

  async get(id: string): Promise<Incident | null> {
    return this.read().get(id) ?? null;
  }

  private read(): Map<string, Incident> {
    if (!existsSync(this.path)) throw new HourglassError('USAGE', `no incidents at ${this.path}: run \`hourglass run\` with this --state-dir first`);
    const latest = new Map<string, Incident>();
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const incident = JSON.parse(line) as Incident;
        const known = latest.get(incident.id);
        if (!known || incident.revision >= known.revision) latest.set(incident.id, incident);
      } catch {
        // A torn last line (a run that was killed) is skipped.
      }
    }
    return latest;
  }
}

async function withReader<T>(config: HourglassConfig, source: IncidentSource, fn: (reader: IncidentReader) => Promise<T>): Promise<T> {
  if (source.stateDir !== undefined) return fn(new IncidentLogReader(incidentLogPath(source.stateDir)));
  return withRedis(config, (redis) => fn(redisIncidentStore(config, redis)));
}
