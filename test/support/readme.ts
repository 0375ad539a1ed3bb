import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createKafka } from '@hourglass/kafka';
import { createRedis } from '@hourglass/redis';
import { repoRoot } from '../infra/paths';
import { waitFor } from '../infra/processes';
import type { Infrastructure } from './infrastructure';

/** Kafka's error codes for a consumer group that still has members, and one that does not exist. */
const NON_EMPTY_GROUP = 68;
const GROUP_ID_NOT_FOUND = 69;
/** A member that vanished without leaving counts until its session times out (30 s by default). */
const GROUP_EMPTY_WAIT_MS = 45_000;

/** The shell commands of one `sh` code block of README.md, under the given heading, comments dropped. */
export function readmeCommands(heading: string): string[] {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`README.md has no section '## ${heading}'`);
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`README.md's '${heading}' has no sh code block`);
  return block[1]!
    .split('\n')
    .map(stripComment)
    .filter((line) => line.length > 0);
}

/** A line without its trailing `# comment` (a `#` outside quotes, after a space). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Puts the infrastructure in the state a new operator's `infra:up` gives: none of the topics,
 * consumer groups and Redis keys that a config with the default names (deploy/config/local.yaml)
 * uses. Only for test infrastructure: it deletes `hourglass.*` topics, the `hourglass-ingest`,
 * `hourglass-scorer` and `hourglass-incidents` groups and every `hourglass:*` key.
 */
export async function resetDefaultNames(infra: Infrastructure): Promise<void> {
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'readme-test-reset', connectionTimeoutMs: 3000 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith('hourglass.'));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const gone = await waitFor(async () => !(await admin.listTopics()).some((t) => topics.includes(t)), 30_000, 250);
    if (!gone) throw new Error(`topics ${topics.join(', ')} are still there 30 s after their deletion`);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g === 'hourglass-ingest' || g === 'hourglass-scorer' || g === 'hourglass-incidents');
    if (groups.length > 0) await deleteGroups(admin, groups);
  } finally {
    await admin.disconnect();
  }
  const redis = createRedis(infra.redisUrl);
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'hourglass:*', 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Deletes consumer groups. One that is already gone (its topics were just deleted) is the goal; one
 * with members is waited for, since a member that was killed counts until its session expires, and
 * one that stays busy means that something still consumes with it.
 */
async function deleteGroups(admin: ReturnType<ReturnType<typeof createKafka>['admin']>, groups: string[]): Promise<void> {
  const deadline = Date.now() + GROUP_EMPTY_WAIT_MS;
  for (;;) {
    try {
      await admin.deleteGroups(groups);
      return;
    } catch (error) {
      const codes = (error as { groups?: { groupId: string; errorCode: number }[] }).groups ?? [];
      const busy = codes.filter((g) => g.errorCode === NON_EMPTY_GROUP).map((g) => g.groupId);
      if (codes.length === 0 || codes.some((g) => g.errorCode !== NON_EMPTY_GROUP && g.errorCode !== GROUP_ID_NOT_FOUND)) throw error;
      if (busy.length === 0) return;
      if (Date.now() > deadline) throw new Error(`consumer group(s) ${busy.join(', ')} still have members after ${GROUP_EMPTY_WAIT_MS / 1000} s: is the README's stack running against this Kafka?`);
      groups = busy;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
