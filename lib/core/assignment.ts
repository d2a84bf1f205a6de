/**
 * The partition assignment planner. Pure: from the PARTITION items that were read and
 * the TaskManagers' roles it computes the owner changes to write, each conditional on
 * the owner and epoch that were read, each raising the epoch (the fencing token) by one.
 *
 * Properties (test/unit/core/assignment.test.ts checks them on random histories):
 * - Balanced: live TaskManagers own floor(N/L) or ceil(N/L) of the N balanced partitions.
 * - Sticky: a partition moves only if its owner is not live (dead, gone, draining,
 *   unowned), if it is mid-revoke, or if its owner holds more than its share.
 * - Minimal: with no hot TaskManagers, the number of moves is `minimumMoves`.
 * - Deterministic: the plan depends only on the input as sets (every tie is broken by
 *   owned count, then task id, then partition id), so concurrent planners agree and the
 *   conditional writes of all but one of them fail harmlessly.
 * - Idempotent: planning again on the result of a plan gives no moves.
 * - Hot TaskManagers (the seed rule) get the smaller share where the balance leaves a
 *   choice, which may cost one extra move per hot TaskManager.
 */
import type { HealthStatus, PartitionItem } from './domain.js';
import { seedThreshold } from './policy.js';
import { compareIds } from './values.js';

export type MoveReason =
  /** The partition had no owner. */
  | 'Unowned'
  /** Its owner is neither live nor suspect (dead, stopped, unknown). */
  | 'OwnerGone'
  /** Its owner is draining or a scale-in victim. */
  | 'Draining'
  /** It was left in REVOKING by an unfinished move: the move is completed. */
  | 'Revoking'
  /** Its live owner holds more than its share. */
  | 'Rebalance'
  /** Its live owner is hot and holds more than the smaller share. */
  | 'Hot';

export interface PartitionMove {
  readonly partitionId: number;
  /** The owner that was read (the write is conditional on it); null when unowned. */
  readonly from: string | null;
  readonly to: string;
  /** The epoch that was read (the write is conditional on it). */
  readonly expectedEpoch: number;
  /** Always expectedEpoch + 1. */
  readonly newEpoch: number;
  readonly reason: MoveReason;
}

export interface AssignmentInput {
  readonly partitions: readonly PartitionItem[];
  /** HEALTHY TaskManagers: may own partitions and receive new ones. Order does not matter. */
  readonly live: readonly string[];
  /**
   * SUSPECT TaskManagers: keep the partitions they own, receive none, and stay out of the
   * balance until they are HEALTHY (then rebalanced) or DEAD (then their partitions move).
   */
  readonly suspect?: readonly string[];
  /** DRAINING TaskManagers and scale-in victims: give every partition away (wins over live). */
  readonly draining?: readonly string[];
  /** Hot TaskManagers (see hotTaskManagers): take the smaller share where there is a choice. */
  readonly hot?: readonly string[];
}

export interface AssignmentPlan {
  /** Sorted by partition id. */
  readonly moves: readonly PartitionMove[];
  /** Partitions that need an owner while no TaskManager is live; they stay as they are. */
  readonly unassignable: readonly number[];
  /** Partitions each live TaskManager owns once the plan is applied (suspect ones excluded). */
  readonly targets: Readonly<Record<string, number>>;
}

interface Pooled {
  readonly item: PartitionItem;
  readonly reason: MoveReason;
}

/** Why a partition that is not kept by a live owner must move. */
function orphanReason(
  p: PartitionItem,
  live: ReadonlySet<string>,
  draining: ReadonlySet<string>,
): MoveReason {
  if (p.owner === null) return 'Unowned';
  if (draining.has(p.owner)) return 'Draining';
  if (p.state === 'REVOKING' && live.has(p.owner)) return 'Revoking';
  return 'OwnerGone';
}

/**
 * Which live TaskManagers get the larger share (ceil) when N partitions do not divide
 * evenly: non-hot before hot, then most owned first (fewest moves), then task id.
 */
function ceilOrder(
  live: readonly string[],
  held: ReadonlyMap<string, readonly PartitionItem[]>,
  hot: ReadonlySet<string>,
) {
  return [...live].sort(
    (a, b) =>
      Number(hot.has(a)) - Number(hot.has(b)) ||
      (held.get(b)?.length ?? 0) - (held.get(a)?.length ?? 0) ||
      compareIds(a, b),
  );
}

/** Plans the owner changes that make the assignment balanced, with as few moves as possible. */
export function planAssignment(input: AssignmentInput): AssignmentPlan {
  const draining = new Set(input.draining ?? []);
  const liveSet = new Set(input.live.filter((t) => !draining.has(t)));
  const live = [...liveSet].sort(compareIds);
  const suspect = new Set((input.suspect ?? []).filter((t) => !draining.has(t) && !liveSet.has(t)));
  const hot = new Set(input.hot ?? []);
  const partitions = [...input.partitions].sort((a, b) => a.partitionId - b.partitionId);

  // Classify: kept by a live owner (for now), frozen on a suspect owner, or in the pool.
  const held = new Map<string, PartitionItem[]>(live.map((t) => [t, []]));
  const pool: Pooled[] = [];
  for (const p of partitions) {
    const owner = p.state === 'ASSIGNED' ? p.owner : null;
    if (owner !== null && liveSet.has(owner)) held.get(owner)?.push(p);
    else if (owner === null || !suspect.has(owner))
      pool.push({ item: p, reason: orphanReason(p, liveSet, draining) });
  }

  if (live.length === 0) {
    return { moves: [], unassignable: pool.map((x) => x.item.partitionId), targets: {} };
  }

  // Targets: floor or ceil of the balanced partitions.
  const balanced = pool.length + [...held.values()].reduce((n, ps) => n + ps.length, 0);
  const floor = Math.floor(balanced / live.length);
  const ceils = balanced % live.length;
  const target = new Map<string, number>();
  ceilOrder(live, held, hot).forEach((t, i) => {
    target.set(t, i < ceils ? floor + 1 : floor);
  });

  // Owners above their target keep their lowest partition ids and release the rest.
  const kept = new Map<string, number>();
  for (const t of live) {
    const mine = held.get(t) ?? [];
    const share = target.get(t) ?? 0;
    kept.set(t, Math.min(mine.length, share));
    for (const p of mine.slice(share)) pool.push({ item: p, reason: hot.has(t) ? 'Hot' : 'Rebalance' });
  }
  pool.sort((a, b) => a.item.partitionId - b.item.partitionId);

  const moves: PartitionMove[] = [];
  const place = (x: Pooled, to: string): void => {
    const p = x.item;
    moves.push({
      partitionId: p.partitionId,
      from: p.owner,
      to,
      expectedEpoch: p.epoch,
      newEpoch: p.epoch + 1,
      reason: x.reason,
    });
    kept.set(to, (kept.get(to) ?? 0) + 1);
  };
  const deficit = (t: string): number => (target.get(t) ?? 0) - (kept.get(t) ?? 0);

  // A partition left REVOKING goes back to its live owner if that owner still has room.
  const rest: Pooled[] = [];
  for (const x of pool) {
    const owner = x.item.owner;
    if (x.reason === 'Revoking' && owner !== null && deficit(owner) > 0) place(x, owner);
    else rest.push(x);
  }

  // The rest fill the deficits: receivers by fewest kept, then task id; partitions by id.
  const receivers = live
    .filter((t) => deficit(t) > 0)
    .sort((a, b) => (kept.get(a) ?? 0) - (kept.get(b) ?? 0) || compareIds(a, b));
  let next = 0;
  for (const t of receivers) {
    for (let d = deficit(t); d > 0; d--) {
      const x = rest[next++];
      if (x !== undefined) place(x, t);
    }
  }

  moves.sort((a, b) => a.partitionId - b.partitionId);
  return { moves, unassignable: [], targets: Object.fromEntries(target) };
}

/**
 * The fewest moves that can balance N partitions over L live TaskManagers, given how many
 * each live TaskManager owns now (live TaskManagers not listed own none): every partition
 * not owned by a live TaskManager moves, and so does every partition above an owner's
 * share, where the larger shares go to the TaskManagers that own the most.
 */
export function minimumMoves(
  ownedCounts: readonly number[],
  liveCount: number,
  partitionCount: number,
): number {
  if (ownedCounts.length > liveCount) {
    throw new RangeError(`${ownedCounts.length} owned counts for ${liveCount} live TaskManagers`);
  }
  const owned = ownedCounts.reduce((a, b) => a + b, 0);
  if (owned > partitionCount) throw new RangeError(`${owned} owned partitions of ${partitionCount}`);
  if (liveCount === 0) return 0;
  const floor = Math.floor(partitionCount / liveCount);
  const ceils = partitionCount % liveCount;
  const sorted = [...ownedCounts].sort((a, b) => b - a);
  const keep = sorted.reduce((n, c, i) => n + Math.min(c, i < ceils ? floor + 1 : floor), 0);
  return partitionCount - keep;
}

/**
 * The seed rule: a TaskManager is hot when load_i > load_average × load_factor. Loads that
 * are not finite numbers (no data) are left out of the average and never hot. Sorted ids.
 */
export function hotTaskManagers(loads: Readonly<Record<string, number>>, loadFactor: number): string[] {
  const known = Object.entries(loads)
    .filter(([, load]) => Number.isFinite(load))
    .map(([taskId, load]) => ({ taskId, load }));
  return [...seedThreshold(known, loadFactor).hot].sort(compareIds);
}

/**
 * The hot TaskManagers whose heat is not just one partition too many: hot by the seed rule
 * (load > average × loadFactor), and still above that threshold with one partition fewer
 * (load × (owned − 1) / owned). Taking a partition off such a TaskManager cannot make it cold,
 * and a receiver that was not hot is not made hot by this test through the one partition it
 * gains, so preferring these for the smaller share settles after at most two rounds for a
 * hot key (one partition much busier than the rest). With a wide spread of partition rates
 * the larger shares can keep rotating; lib/failover.ts therefore re-measures only a full
 * metric window after the last owner change. `owned` counts the partitions each owns now;
 * sorted ids.
 */
export function persistentlyHot(
  loads: Readonly<Record<string, number>>,
  owned: Readonly<Record<string, number>>,
  loadFactor: number,
): string[] {
  const known = Object.entries(loads)
    .filter(([, load]) => Number.isFinite(load))
    .map(([taskId, load]) => ({ taskId, load }));
  const { threshold, hot } = seedThreshold(known, loadFactor);
  const loadOf = new Map(known.map((k) => [k.taskId, k.load]));
  return hot
    .filter((taskId) => {
      const n = owned[taskId] ?? 0;
      return n > 1 && ((loadOf.get(taskId) ?? 0) * (n - 1)) / n > threshold;
    })
    .sort(compareIds);
}

/** The roles the planner needs, from the TASK items: HEALTHY live, SUSPECT frozen, DRAINING draining. */
export function rolesFromHealth(
  tasks: readonly { readonly taskId: string; readonly status: HealthStatus }[],
): Required<Pick<AssignmentInput, 'live' | 'suspect' | 'draining'>> {
  const ids = (s: HealthStatus): string[] =>
    tasks
      .filter((t) => t.status === s)
      .map((t) => t.taskId)
      .sort(compareIds);
  return { live: ids('HEALTHY'), suspect: ids('SUSPECT'), draining: ids('DRAINING') };
}

export interface ScaleInCandidate {
  readonly taskId: string;
  readonly ownedPartitions: number;
  /** When the task reached RUNNING (epoch ms); a task that has not started counts as youngest. */
  readonly startedAt?: number;
}

/**
 * The k TaskManagers to remove on a scale-in by k: fewest owned partitions (fewest moves),
 * then youngest (least warmed-up state), then task id.
 */
export function chooseScaleInVictims(tasks: readonly ScaleInCandidate[], k: number): string[] {
  const started = (t: ScaleInCandidate): number => t.startedAt ?? Number.POSITIVE_INFINITY;
  return [...tasks]
    .sort(
      (a, b) =>
        a.ownedPartitions - b.ownedPartitions ||
        (started(b) === started(a) ? 0 : started(b) > started(a) ? 1 : -1) ||
        compareIds(a.taskId, b.taskId),
    )
    .slice(0, Math.max(0, Math.floor(k)))
    .map((t) => t.taskId);
}

/**
 * The PARTITION items 0..partitionCount-1, with the ones not stored yet filled in as
 * unowned at epoch 0 (the item that does not exist). Sorted by id; ids beyond the count are kept.
 */
export function completePartitions(
  items: readonly PartitionItem[],
  partitionCount: number,
  nowMs: number,
): PartitionItem[] {
  const byId = new Map(items.map((p) => [p.partitionId, p]));
  for (let id = 0; id < partitionCount; id++) {
    if (!byId.has(id))
      byId.set(id, { partitionId: id, owner: null, epoch: 0, state: 'ASSIGNED', updatedAt: nowMs });
  }
  return [...byId.values()].sort((a, b) => a.partitionId - b.partitionId);
}

export interface AppliedPlan {
  readonly partitions: readonly PartitionItem[];
  /** Moves whose condition (owner and epoch as read) no longer held: not applied. */
  readonly conflicts: readonly PartitionMove[];
}

/**
 * Applies moves the way the conditional writes do: a move is applied only if the item
 * still has the owner and epoch the plan read. The new item is ASSIGNED to `to` at newEpoch.
 */
export function applyMoves(
  partitions: readonly PartitionItem[],
  moves: readonly PartitionMove[],
  nowMs: number,
): AppliedPlan {
  const byId = new Map(partitions.map((p) => [p.partitionId, p]));
  const conflicts: PartitionMove[] = [];
  for (const m of moves) {
    const p = byId.get(m.partitionId);
    if (p === undefined || p.owner !== m.from || p.epoch !== m.expectedEpoch) {
      conflicts.push(m);
      continue;
    }
    byId.set(m.partitionId, {
      partitionId: m.partitionId,
      owner: m.to,
      epoch: m.newEpoch,
      state: 'ASSIGNED',
      ...(m.from === null ? {} : { previousOwner: m.from }),
      updatedAt: nowMs,
    });
  }
  return { partitions: [...byId.values()].sort((a, b) => a.partitionId - b.partitionId), conflicts };
}
