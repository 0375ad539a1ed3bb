import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol, type Cluster } from 'kafkajs';
import { singleOwnerAssigner } from './single-owner-assigner';

const cluster = { findTopicPartitionMetadata: () => [2, 0, 1].map((partitionId) => ({ partitionId })) } as unknown as Cluster;

async function assign(members: { id: string; owns: boolean }[]): Promise<Record<string, Record<string, number[]>>> {
  const metadata = (owns: boolean) => singleOwnerAssigner(() => owns)({ cluster, groupId: 'g', logger: undefined as never }).protocol({ topics: ['a'] }).metadata;
  const assigner = singleOwnerAssigner(() => false)({ cluster, groupId: 'g', logger: undefined as never });
  const result = await assigner.assign({ members: members.map((m) => ({ memberId: m.id, memberMetadata: metadata(m.owns) })), topics: ['a'] });
  return Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)!.assignment]));
}

test('every partition goes to one member; the others stand by with none', async () => {
  const out = await assign([{ id: 'm-b', owns: false }, { id: 'm-a', owns: false }, { id: 'm-c', owns: false }]);
  assert.deepEqual(out, { 'm-b': {}, 'm-a': { a: [0, 1, 2] }, 'm-c': {} });
});

test('the owner stays the owner when a member joins, whatever its id', async () => {
  const out = await assign([{ id: 'm-b', owns: true }, { id: 'm-a', owns: false }]);
  assert.deepEqual(out['m-b'], { a: [0, 1, 2] });
  assert.deepEqual(out['m-a'], {});
});
