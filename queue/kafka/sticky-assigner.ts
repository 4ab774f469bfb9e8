/**
 * A partition assigner that never moves a partition away from a member still working on it. kafkajs rejoins the
 * group as soon as a rebalance starts (our calls run off its fetch loop), so with a plain assigner a scale-out
 * or rolling deploy would hand a partition with a 10-minute call in flight to another worker, which would run
 * the call again from the last committed offset. Each member advertises its busy partitions (unfinished or
 * uncommitted records) and its current ones in the JoinGroup user data; the leader keeps busy partitions where
 * they are, keeps current ones up to a fair share, and spreads the rest over the least-loaded members.
 */
import kafkajs, { type PartitionAssigner } from 'kafkajs';

const { AssignerProtocol } = kafkajs;

/** The group protocol name; every member of a kfaas worker group must use this assigner. */
export const STICKY_ASSIGNER_NAME = 'KfaasBusySticky';
const VERSION = 1;

/** Partitions by topic. */
export type TopicPartitions = Record<string, number[]>;

/** What one member claims in its JoinGroup user data. */
export interface MemberClaims {
  readonly memberId: string;
  /** Partitions with unfinished or uncommitted records: they must stay with this member. */
  readonly busy: TopicPartitions;
  /** Partitions the member owns now: kept when that does not unbalance the group. */
  readonly owned: TopicPartitions;
}

/** One assignable partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Computes the assignment (pure): busy claims first, then current owners up to a fair share, then the least loaded. */
export function assignPartitions(members: readonly MemberClaims[], partitions: readonly TopicPartition[]): Map<string, TopicPartitions> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, TopicPartitions>(sorted.map((m) => [m.memberId, {}]));
  if (sorted.length === 0) return result;
  const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
  const known = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
  const taken = new Set<string>();
  const give = (memberId: string, topic: string, partition: number): void => {
    const assignment = result.get(memberId) as TopicPartitions;
    (assignment[topic] ??= []).push(partition);
    taken.add(tpKey(topic, partition));
    load.set(memberId, (load.get(memberId) ?? 0) + 1);
  };
  const claim = (pick: (m: MemberClaims) => TopicPartitions, limit: (memberId: string) => boolean): void => {
    for (const member of sorted) {
      for (const [topic, list] of Object.entries(pick(member))) {
        for (const partition of list) {
          const key = tpKey(topic, partition);
          if (known.has(key) && !taken.has(key) && limit(member.memberId)) give(member.memberId, topic, partition);
        }
      }
    }
  };
  claim((m) => m.busy, () => true);
  const fairShare = Math.floor(partitions.length / sorted.length);
  claim((m) => m.owned, (id) => (load.get(id) ?? 0) < fairShare);
  for (const { topic, partition } of partitions) {
    if (taken.has(tpKey(topic, partition))) continue;
    let best = sorted[0] as MemberClaims;
    for (const member of sorted) if ((load.get(member.memberId) ?? 0) < (load.get(best.memberId) ?? 0)) best = member;
    give(best.memberId, topic, partition);
  }
  for (const assignment of result.values()) for (const list of Object.values(assignment)) list.sort((a, b) => a - b);
  return result;
}

/** Reads a member's claims from its JoinGroup metadata; anything unreadable counts as no claims. */
export function decodeClaims(memberId: string, metadata: Buffer): MemberClaims {
  const none: MemberClaims = { memberId, busy: {}, owned: {} };
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
    if (!decoded?.userData || decoded.userData.length === 0) return none;
    const parsed = JSON.parse(decoded.userData.toString('utf8')) as Partial<Omit<MemberClaims, 'memberId'>>;
    return { memberId, busy: cleanPartitions(parsed.busy), owned: cleanPartitions(parsed.owned) };
  } catch {
    return none;
  }
}

function cleanPartitions(value: unknown): TopicPartitions {
  const out: TopicPartitions = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [topic, list] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(list)) out[topic] = list.filter((p): p is number => Number.isInteger(p) && p >= 0);
  }
  return out;
}

/** The kafkajs PartitionAssigner; `claims()` is asked at every join for this member's busy and owned partitions. */
export function stickyAssigner(claims: () => { busy: TopicPartitions; owned: TopicPartitions }): PartitionAssigner {
  return ({ cluster }) => ({
    name: STICKY_ASSIGNER_NAME,
    version: VERSION,
    async assign({ members, topics }) {
      const partitions = topics.flatMap((topic) =>
        cluster.findTopicPartitionMetadata(topic).map((m) => ({ topic, partition: m.partitionId })),
      );
      const assignment = assignPartitions(
        members.map((m) => decodeClaims(m.memberId, m.memberMetadata)),
        partitions,
      );
      return [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: topicPartitions,
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: STICKY_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.from(JSON.stringify(claims()), 'utf8'),
        }),
      };
    },
  });
}
