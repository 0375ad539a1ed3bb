import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * A partition assigner that gives every partition of the subscribed topics to one member of the
 * group; the others get none and stand by. Grouping episodes across series needs every anomaly
 * event in one place (the anomalies topic is keyed by series, so one key's events are spread over
 * partitions), and anomaly events are few, so one consumer keeps up. The owner stays the owner
 * while it is a member (each member says in its metadata whether it owns now), so a standby that
 * joins or restarts moves nothing; when the owner leaves, the first standby by member id takes
 * every partition over, continuing from the committed offsets and the checkpointed incidents.
 */
export function singleOwnerAssigner(ownsNow: () => boolean): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'HourglassSingleOwner',
    version: 0,
    async assign({ members, topics }) {
      const owns = (metadata: Buffer): boolean => {
        try {
          return AssignerProtocol.MemberMetadata.decode(metadata)?.userData.toString() === 'owner';
        } catch {
          return false;
        }
      };
      const ids = members.map((m) => m.memberId).sort();
      const owner = members.filter((m) => owns(m.memberMetadata)).map((m) => m.memberId).sort()[0] ?? ids[0];
      const assignment: Record<string, number[]> = {};
      for (const topic of topics) assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: memberId === owner ? assignment : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: 'HourglassSingleOwner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(ownsNow() ? 'owner' : 'standby') }) };
    },
  });
}
