import kafkajs, { type Cluster } from 'kafkajs';
import { assignPartitions, decodeClaims, stickyAssigner, type MemberClaims, type TopicPartition } from './sticky-assigner.js';

const { AssignerProtocol } = kafkajs;

const parts = (topic: string, n: number): TopicPartition[] => Array.from({ length: n }, (_, partition) => ({ topic, partition }));
const member = (memberId: string, busy: Record<string, number[]> = {}, owned: Record<string, number[]> = {}): MemberClaims => ({
  memberId,
  busy,
  owned,
});
const asObject = (m: Map<string, Record<string, number[]>>): Record<string, Record<string, number[]>> => Object.fromEntries(m);

describe('assignPartitions', () => {
  it.each<[string, MemberClaims[], TopicPartition[], Record<string, Record<string, number[]>>]>([
    ['spreads fresh partitions evenly', [member('a'), member('b')], parts('t', 4), { a: { t: [0, 2] }, b: { t: [1, 3] } }],
    ['gives everything to a lone member', [member('a')], parts('t', 3), { a: { t: [0, 1, 2] } }],
    ['leaves extra members empty', [member('a'), member('b'), member('c')], parts('t', 2), { a: { t: [0] }, b: { t: [1] }, c: {} }],
    [
      'keeps busy partitions on their member even beyond a fair share',
      [member('a', { t: [0, 1, 2] }), member('b')],
      parts('t', 4),
      { a: { t: [0, 1, 2] }, b: { t: [3] } },
    ],
    [
      'moves idle owned partitions to a joining member, keeping the busy one',
      [member('a', { t: [3] }, { t: [0, 1, 2, 3] }), member('b')],
      parts('t', 4),
      { a: { t: [0, 3] }, b: { t: [1, 2] } },
    ],
    [
      'keeps owned partitions up to a fair share',
      [member('a', {}, { t: [0, 1] }), member('b', {}, { t: [2, 3] })],
      parts('t', 4),
      { a: { t: [0, 1] }, b: { t: [2, 3] } },
    ],
    [
      'ignores claims on unknown partitions and gives a contested busy one to the first member',
      [member('b', { t: [0, 9] }), member('a', { t: [0] })],
      parts('t', 2),
      { a: { t: [0] }, b: { t: [1] } },
    ],
  ])('%s', (_name, members, partitions, expected) => {
    expect(asObject(assignPartitions(members, partitions))).toEqual(expected);
  });

  it('assigns nothing without members', () => {
    expect(assignPartitions([], parts('t', 3)).size).toBe(0);
  });
});

describe('stickyAssigner', () => {
  const cluster = { findTopicPartitionMetadata: () => [0, 1, 2, 3].map((partitionId) => ({ partitionId })) } as unknown as Cluster;
  const logger = {} as never;

  it('advertises its claims in the protocol metadata and the leader honours them', async () => {
    const a = stickyAssigner(() => ({ busy: { t: [2] }, owned: { t: [0, 1, 2, 3] } }))({ cluster, groupId: 'g', logger });
    const b = stickyAssigner(() => ({ busy: {}, owned: {} }))({ cluster, groupId: 'g', logger });
    const metaA = a.protocol({ topics: ['t'] }).metadata;
    const metaB = b.protocol({ topics: ['t'] }).metadata;
    expect(decodeClaims('a', metaA)).toEqual({ memberId: 'a', busy: { t: [2] }, owned: { t: [0, 1, 2, 3] } });
    const result = await a.assign({
      members: [
        { memberId: 'a', memberMetadata: metaA },
        { memberId: 'b', memberMetadata: metaB },
      ],
      topics: ['t'],
    });
    const decoded = Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]));
    expect(decoded).toEqual({ a: { t: [0, 2] }, b: { t: [1, 3] } });
  });

  it('treats unreadable metadata as no claims', () => {
    expect(decodeClaims('x', Buffer.from('nonsense'))).toEqual({ memberId: 'x', busy: {}, owned: {} });
    const bad = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['t'], userData: Buffer.from('{"busy":{"t":["x",-1,2]}}') });
    expect(decodeClaims('y', bad)).toEqual({ memberId: 'y', busy: { t: [2] }, owned: {} });
  });
});
