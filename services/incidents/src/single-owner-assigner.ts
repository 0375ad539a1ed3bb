import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * A partition assigner that gives every partition of the subscribed topics to one member of the
 * group, the first by member id; the others get none and stand by. Grouping episodes across series
 * needs every anomaly event in one place (the anomalies topic is keyed by series, so one key's
 * events are spread over partitions), and anomaly events are few, so one consumer keeps up. When
 * the owner leaves, the group rebalances and a standby takes every partition over, continuing
 * from the committed offsets and the checkpointed open incidents.
 */
export const singleOwnerAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'HourglassSingleOwner',
  version: 0,
  async assign({ members, topics }) {
    const owner = members.map((m) => m.memberId).sort()[0];
    const assignment: Record<string, number[]> = {};
    for (const topic of topics) assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: memberId === owner ? assignment : {}, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'HourglassSingleOwner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
