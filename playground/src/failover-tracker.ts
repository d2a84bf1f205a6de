/**
 * The failover function in the simulation: the real handler and runtime (SDK clients on the
 * local cloud and dynalite, the simulated clock), fed with the local ECS's task state change
 * events as EventBridge would deliver them, and with the schedule's ticks; and the
 * measurements of the `failover` block of the simulate output.
 *
 * Measurements are taken at checkpoints (after a fault, after events were delivered, after a
 * reconcile, at the end of each step) against the truth of the cluster model: a partition has
 * a live owner when its owner in DynamoDB is a task ECS runs and that is not hung. The
 * partition items are re-read from dynalite only after an invocation that moved partitions,
 * so a quiet simulated day costs no extra reads.
 */
import { createFailoverHandler, type FailoverHandler } from 'flink-ecs-autoscaler/functions/failover';
import type { AwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { DynamoDbStateStore } from 'flink-ecs-autoscaler/lib/aws/dynamodb-store';
import type { AppConfigInput } from 'flink-ecs-autoscaler/lib/core/config';
import type { FailoverResult } from 'flink-ecs-autoscaler/lib/failover';
import { loadFailoverRuntime } from 'flink-ecs-autoscaler/lib/runtime';
import type { EcsTaskStateChangeEvent } from './cloud/ecs-events';
import type { LocalCloud } from './cloud/local-cloud';
import type { FailoverEvent, FailoverSummary } from './results';

export interface FailoverTrackerOptions {
  readonly cloud: LocalCloud;
  readonly clients: AwsClients;
  /** The autoscaler config of the run (the scaler's). */
  readonly config: AppConfigInput;
  readonly tableName: string;
  /** The simulated clock (epoch ms), read at each invocation. */
  readonly clock: { readonly ms: number };
  /** Simulated time 0 (epoch ms): fault times are reported in seconds from it. */
  readonly startMs: number;
  /** Wraps every invocation of the handler (measurements). */
  readonly invoke?: <T>(fn: 'failover', run: () => Promise<T>, nowMs: number) => Promise<T>;
}

/** Events delivered in one go before the tracker gives up (a listener loop would otherwise never end). */
const MAX_EVENTS_PER_DELIVERY = 10_000;

interface TrackedFault {
  readonly atMs: number;
  readonly kind: string;
  readonly victim: string;
  readonly partitions: readonly number[];
  reassignedAtMs: number | null;
}

interface Owned {
  readonly owner: string | null;
  readonly previousOwner: string | undefined;
  /** Epoch ms of the last owner change. */
  readonly updatedAt: number;
}

export class FailoverTracker {
  private readonly handler: FailoverHandler;
  private readonly store: DynamoDbStateStore;
  private readonly appId: string;
  private readonly cluster: string;
  private readonly service: string;
  private readonly queue: EcsTaskStateChangeEvent[] = [];
  private readonly unsubscribe: () => void;
  private partitions = new Map<number, Owned>();
  private dirty = true;
  private readonly unownedSince = new Map<number, number>();
  private maxUnownedMs = 0;
  private moved = 0;
  private doubleOwnedSeconds = 0;
  private readonly faults: TrackedFault[] = [];
  private ticks = 0;
  /** Every invocation's result, in order (for tests and diagnostics). */
  readonly results: FailoverResult[] = [];

  constructor(private readonly opts: FailoverTrackerOptions) {
    const runtime = loadFailoverRuntime(
      {
        AUTOSCALER_CONFIG: JSON.stringify(opts.config),
        TABLE_NAME: opts.tableName,
        POWERTOOLS_SERVICE_NAME: 'flink-ecs-autoscaler-sim',
      },
      { clock: { now: () => new Date(opts.clock.ms) }, clients: opts.clients },
    );
    const handler = createFailoverHandler(runtime);
    const invoke = opts.invoke;
    this.handler = invoke ? (event) => invoke('failover', () => handler(event), opts.clock.ms) : handler;
    this.store = new DynamoDbStateStore(opts.clients.dynamodb, opts.tableName);
    this.appId = runtime.config.appId;
    this.cluster = runtime.config.ecs.cluster;
    this.service = runtime.config.ecs.service;
    const group = `service:${this.service}`;
    this.unsubscribe = opts.cloud.ecs.onTaskStateChange((event) => {
      if (event.detail.group === group) this.queue.push(event);
    });
  }

  /** Records a fault injected now on `victim`: the partitions it owns in DynamoDB are watched. */
  async fault(kind: string, victim: string): Promise<void> {
    await this.refresh();
    const partitions = [...this.partitions.entries()]
      .filter(([, p]) => p.owner === victim)
      .map(([id]) => id)
      .sort((a, b) => a - b);
    this.faults.push({ atMs: this.opts.clock.ms, kind, victim, partitions, reassignedAtMs: null });
    await this.checkpoint();
  }

  /** Delivers the ECS events queued so far to the failover function, one invocation each. */
  async deliver(): Promise<void> {
    let delivered = 0;
    for (let event = this.queue.shift(); event !== undefined; event = this.queue.shift()) {
      if (++delivered > MAX_EVENTS_PER_DELIVERY) {
        throw new Error(`more than ${MAX_EVENTS_PER_DELIVERY} ECS events in one delivery: a feedback loop`);
      }
      this.record(await this.handler(event));
    }
    if (delivered > 0) await this.checkpoint();
  }

  /** The schedule's tick: a reconcile, then the events it caused. */
  async reconcile(): Promise<void> {
    const now = this.opts.clock.ms;
    this.record(
      await this.handler({
        version: '0',
        id: `failover-tick-${++this.ticks}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: ['arn:aws:events:us-east-1:123456789012:rule/flink-ecs-autoscaler-tick'],
        detail: {},
      }),
    );
    await this.deliver();
    await this.checkpoint();
  }

  /**
   * At the end of a step of `dtSeconds`: delivers what is queued and accumulates double
   * ownership: partition-seconds during which a partition taken from a hung TaskManager
   * after it hung has a new owner while the hung one still runs (it was not stopped first).
   */
  async stepEnd(dtSeconds: number): Promise<void> {
    await this.deliver();
    const hangs = this.faults.filter((f) => f.kind === 'hang');
    if (hangs.length === 0) return;
    const running = new Set(
      this.opts.cloud.ecs
        .tasks({ cluster: this.cluster, serviceName: this.service })
        .filter((t) => t.lastStatus === 'RUNNING' && t.hung)
        .map((t) => t.taskId),
    );
    const zombies = new Map(hangs.filter((f) => running.has(f.victim)).map((f) => [f.victim, f.atMs]));
    if (zombies.size === 0) return;
    await this.refresh();
    for (const p of this.partitions.values()) {
      const hungAt = p.previousOwner === undefined ? undefined : zombies.get(p.previousOwner);
      if (hungAt !== undefined && p.owner !== p.previousOwner && p.updatedAt >= hungAt) {
        this.doubleOwnedSeconds += dtSeconds;
      }
    }
  }

  summary(): FailoverSummary {
    const now = this.opts.clock.ms;
    let maxUnowned = this.maxUnownedMs;
    for (const since of this.unownedSince.values()) maxUnowned = Math.max(maxUnowned, now - since);
    const events: FailoverEvent[] = this.faults.map((f) => ({
      atSeconds: (f.atMs - this.opts.startMs) / 1000,
      kind: f.kind,
      partitions: f.partitions.length,
      reassignedAfterSeconds: f.reassignedAtMs === null ? null : (f.reassignedAtMs - f.atMs) / 1000,
    }));
    return {
      events,
      maxUnownedSeconds: maxUnowned / 1000,
      partitionsMoved: this.moved,
      doubleOwnedPartitionSeconds: this.doubleOwnedSeconds,
    };
  }

  close(): void {
    this.unsubscribe();
  }

  private record(result: FailoverResult): void {
    this.results.push(result);
    this.moved += result.partitionsMoved;
    if (result.partitionsMoved > 0 || result.conflicts > 0) this.dirty = true;
  }

  /** Re-reads the partition items if an invocation may have changed them. */
  private async refresh(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const items = await this.store.readPartitions(this.appId);
    this.partitions = new Map(
      items.map((p) => [
        p.partitionId,
        { owner: p.owner, previousOwner: p.previousOwner, updatedAt: p.updatedAt },
      ]),
    );
  }

  /** Updates the unowned intervals and the faults' reassignment times at the current instant. */
  private async checkpoint(): Promise<void> {
    await this.refresh();
    const now = this.opts.clock.ms;
    const live = new Set(
      this.opts.cloud.ecs
        .tasks({ cluster: this.cluster, serviceName: this.service })
        .filter((t) => t.lastStatus === 'RUNNING' && !t.hung)
        .map((t) => t.taskId),
    );
    const hasLiveOwner = (id: number): boolean => {
      const owner = this.partitions.get(id)?.owner;
      return owner !== undefined && owner !== null && live.has(owner);
    };
    for (const id of this.partitions.keys()) {
      const since = this.unownedSince.get(id);
      if (hasLiveOwner(id)) {
        if (since !== undefined) {
          this.maxUnownedMs = Math.max(this.maxUnownedMs, now - since);
          this.unownedSince.delete(id);
        }
      } else if (since === undefined) {
        this.unownedSince.set(id, now);
      }
    }
    for (const f of this.faults) {
      if (f.reassignedAtMs === null && f.partitions.every(hasLiveOwner)) f.reassignedAtMs = now;
    }
  }
}
