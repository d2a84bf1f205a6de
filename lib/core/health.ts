/**
 * TaskManager health: HEALTHY / SUSPECT / DEAD / DRAINING, decided from what ECS says
 * about the task (lastStatus, desiredStatus, container health, event version) and from
 * how fresh the TaskManager's metrics are. Each rule is a small pure function that either
 * decides with a reason or passes; `nextHealth` runs them in order. Time is passed in.
 *
 * What the statuses mean to the ownership planner (lib/core/assignment):
 * - HEALTHY:  may own partitions and receive new ones.
 * - SUSPECT:  keeps what it owns, receives nothing (a late metric is not a failure yet).
 * - DRAINING: ECS is stopping it (or it is a scale-in victim): its partitions move off.
 * - DEAD:     its partitions move at once; if ECS still runs it, it is hung and is stopped.
 * DEAD and DRAINING are final: ECS never restarts a stopped task, and a TaskManager that
 * was declared dead must not get partitions back (it has been fenced and will be stopped).
 *
 * Container health comes from DescribeTasks only: AWS's Task State Change events carry no
 * health ("if you need the task health, call DescribeTasks"), so an event's observation has
 * none, and a `healthStatus` that arrives on one anyway is ignored.
 *
 * How fast a hung TaskManager is found: by ECS's container health check, seen at the next
 * reconcile's DescribeTasks (or sooner, when ECS replaces the unhealthy task: its stop events
 * are the fast path), or else by its metrics. Its last evidence of life is no later than the
 * moment it hung with the seed's per-minute metrics (a hung TaskManager publishes no datapoint
 * for the period it hangs in), and at most one scrape interval after it with the agent's
 * scrapes (lib/core/heartbeat.ts heartbeatEvidence: the last scrape a period's count proves).
 * The first reconcile that finds that evidence older than heartbeatTimeoutSeconds counts as
 * the first miss, so with missesToDead 1 the TaskManager is DEAD, stopped and its partitions
 * handed over at most heartbeatTimeoutSeconds (+ one scrape interval) + one reconcile period
 * after it hung: 90 + 30 + 60 = 180 s with the defaults and 30 s scrapes, 150 s for the
 * seed's metrics. The timeout must stay above the age a healthy TaskManager's newest visible
 * datapoint can reach, period + ingestion delay (60 + 30 = 90 s for per-minute metrics that
 * CloudWatch shows 30 s after the minute); raise it for metrics that arrive later.
 */

import type { AppConfig } from './config.js';
import type { HealthStatus, TaskHealthItem } from './domain.js';
import { compareIds } from './values.js';

export type HealthConfig = AppConfig['health'];

/** ECS lastStatus values after which the task's containers are gone. */
export const ECS_GONE_STATUSES: readonly string[] = ['DEPROVISIONING', 'STOPPED', 'DELETED'];
/** ECS lastStatus values of a task that is being stopped but whose containers may still run. */
export const ECS_STOPPING_STATUSES: readonly string[] = ['DEACTIVATING', 'STOPPING'];
/** ECS lastStatus values of a task that has not reached RUNNING yet. */
export const ECS_STARTING_STATUSES: readonly string[] = ['PROVISIONING', 'PENDING', 'ACTIVATING'];

/**
 * What ECS said about the task. An `event` (ECS Task State Change) is a change ECS reported:
 * applied only when its version is newer than the recorded one. A `describe` (DescribeTasks,
 * ListTasks + DescribeTasks) is the task as ECS describes it now: applied unless its version
 * is older than the recorded one, and the only source of container health.
 */
export interface EcsObservation {
  readonly source: 'event' | 'describe';
  readonly lastStatus: string;
  readonly desiredStatus: string;
  /**
   * Aggregate container health (HEALTHY | UNHEALTHY | UNKNOWN) of a `describe`; ignored on an
   * `event` (AWS's events carry none).
   */
  readonly healthStatus?: string;
  /** The task's `version` (event `detail.version`, DescribeTasks `version`); absent when unknown. */
  readonly version?: number;
  /** When the task reached RUNNING (epoch ms). */
  readonly startedAt?: number;
}

export interface HealthObservation {
  /** Absent when this evaluation has no ECS information about the task (metrics-only). */
  readonly ecs?: EcsObservation;
  /**
   * Epoch ms of the newest evidence that the TaskManager works: the end of the period of
   * its newest metric datapoint. Absent when no datapoint was returned.
   */
  readonly lastDatapointAt?: number;
  /**
   * True on the scheduled reconcile, which has read the metrics: only it judges staleness
   * and counts misses. An event-driven evaluation has no metric information.
   */
  readonly reconcile: boolean;
  /** The reconcile period (the schedule), in which misses are counted. @default 60 */
  readonly reconcileSeconds?: number;
}

export type HealthReason =
  | 'AlreadyDead'
  | 'TaskStopped'
  | 'ContainerUnhealthy'
  | 'StopRequested'
  | 'NotRunning'
  | 'HeartbeatFresh'
  | 'HeartbeatMissing'
  | 'HeartbeatNotChecked'
  | 'MissesExceeded';

export interface HealthVerdict {
  readonly status: HealthStatus;
  readonly reason: HealthReason;
  readonly message: string;
  /** Consecutive reconcile misses after this evaluation. */
  readonly misses: number;
}

/** What the rules see: the previous item, the ECS state in force, and the freshness inputs. */
export interface HealthContext {
  readonly prev: TaskHealthItem;
  /** The ECS observation in force, or undefined when there is none newer than the record. */
  readonly ecs: EcsObservation | undefined;
  /** Container health as DescribeTasks reports it (never from an event); undefined when unknown. */
  readonly containerHealth: string | undefined;
  /** The ECS lastStatus in force: the observation's, else the recorded one. */
  readonly ecsStatus: string;
  /** Newest evidence of life (datapoint, task start, or the recorded lastSeen), epoch ms. */
  readonly lastSeen: number;
  readonly reconcile: boolean;
  /** Seconds between reconciles. */
  readonly reconcileSeconds: number;
  readonly config: HealthConfig;
  readonly nowMs: number;
}

export const DEFAULT_RECONCILE_SECONDS = 60;

/** A health rule decides (returns a verdict) or passes (returns undefined) to the next rule. */
export type HealthRule = (ctx: HealthContext) => HealthVerdict | undefined;

const verdict = (status: HealthStatus, reason: HealthReason, message: string, misses = 0): HealthVerdict => ({
  status,
  reason,
  message,
  misses,
});

/**
 * ECS events may arrive late, twice or out of order. ECS increments the task's version on
 * every change: an event whose version is not newer than the recorded one is ignored.
 */
export function shouldApplyEcsEvent(recordedVersion: number, eventVersion: number): boolean {
  return eventVersion > recordedVersion;
}

/**
 * The observation that is in force for a task recorded as `prev`, or undefined when it is not
 * newer than what was recorded:
 * - an event applies only if newer than the recorded version (late, duplicated, reordered
 *   events are ignored);
 * - a DescribeTasks result applies unless older than the recorded version (an eventually
 *   consistent read that predates an applied event); at the same version it describes the
 *   same state, with the container health of now;
 * - a DescribeTasks result without a version never brings back a task recorded as gone.
 */
export function ecsInForce(
  prev: TaskHealthItem,
  obs: EcsObservation | undefined,
): EcsObservation | undefined {
  if (obs === undefined) return undefined;
  if (obs.version === undefined) {
    const revives = ECS_GONE_STATUSES.includes(prev.ecsStatus) && !ECS_GONE_STATUSES.includes(obs.lastStatus);
    return obs.source === 'event' || revives ? undefined : obs;
  }
  if (obs.source === 'event') return shouldApplyEcsEvent(prev.ecsVersion, obs.version) ? obs : undefined;
  return obs.version >= prev.ecsVersion ? obs : undefined;
}

/** A TaskManager declared DEAD stays DEAD: it has been fenced off its partitions. */
export const deadIsFinalRule: HealthRule = (ctx) =>
  ctx.prev.status === 'DEAD'
    ? verdict('DEAD', 'AlreadyDead', 'declared dead earlier', ctx.prev.misses)
    : undefined;

/** STOPPED, DEPROVISIONING (or DELETED): the containers are gone, the TaskManager is dead at once. */
export const taskStoppedRule: HealthRule = (ctx) =>
  ECS_GONE_STATUSES.includes(ctx.ecsStatus)
    ? verdict('DEAD', 'TaskStopped', `ECS lastStatus is ${ctx.ecsStatus}`, ctx.prev.misses)
    : undefined;

/** The container health check failed: dead, whatever its metrics say. */
export const containerUnhealthyRule: HealthRule = (ctx) =>
  ctx.containerHealth === 'UNHEALTHY'
    ? verdict('DEAD', 'ContainerUnhealthy', 'ECS reports the container UNHEALTHY', ctx.prev.misses)
    : undefined;

/**
 * ECS is stopping a task that still runs (desiredStatus STOPPED, or lastStatus
 * DEACTIVATING/STOPPING): draining. A stop cannot be undone, so DRAINING is kept.
 */
export const stopRequestedRule: HealthRule = (ctx) => {
  if (ctx.prev.status === 'DRAINING') return verdict('DRAINING', 'StopRequested', 'draining since earlier');
  if (ctx.ecs?.desiredStatus === 'STOPPED') {
    return verdict('DRAINING', 'StopRequested', `ECS desiredStatus is STOPPED (lastStatus ${ctx.ecsStatus})`);
  }
  if (ECS_STOPPING_STATUSES.includes(ctx.ecsStatus)) {
    return verdict('DRAINING', 'StopRequested', `ECS lastStatus is ${ctx.ecsStatus}`);
  }
  return undefined;
};

/** Not RUNNING yet: not trusted with partitions, and a missing heartbeat is no miss. */
export const notRunningRule: HealthRule = (ctx) =>
  ECS_STARTING_STATUSES.includes(ctx.ecsStatus)
    ? verdict('SUSPECT', 'NotRunning', `ECS lastStatus is ${ctx.ecsStatus}`)
    : undefined;

/**
 * Metric freshness. Evidence of life within heartbeatTimeoutSeconds → HEALTHY, misses reset.
 * A reconcile that finds it older counts misses: the number of reconcile periods the heartbeat
 * is overdue, ceil((age − timeout) / period), so the first stale reconcile is the first miss.
 * missesToDead misses make it DEAD; fewer make it SUSPECT. Counting by age rather than by
 * invocation makes duplicated or concurrent reconciles count each period once.
 *
 * A task that was starting (or unknown) at the last evaluation gets one reconcile before
 * misses count. An event-driven evaluation has not read the metrics: it keeps the heartbeat
 * verdict it finds (HEALTHY stays HEALTHY, anything else SUSPECT), unless the evidence it
 * has (e.g. the task's start) is fresh.
 */
export const heartbeatRule: HealthRule = (ctx) => {
  const ageSeconds = heartbeatAgeSeconds(ctx);
  const { heartbeatTimeoutSeconds: timeout, missesToDead } = ctx.config;
  if (ageSeconds <= timeout) {
    return verdict('HEALTHY', 'HeartbeatFresh', `last heartbeat ${Math.max(0, Math.round(ageSeconds))}s ago`);
  }
  if (!ctx.reconcile) {
    return verdict(
      ctx.prev.status === 'HEALTHY' ? 'HEALTHY' : 'SUSPECT',
      'HeartbeatNotChecked',
      'metrics not read (ECS event): the last reconcile’s heartbeat verdict stands',
      ctx.prev.misses,
    );
  }
  const stale = `no metric datapoint for ${Math.round(ageSeconds)}s (timeout ${timeout}s)`;
  const starting = ctx.prev.ecsStatus === 'UNKNOWN' || ECS_STARTING_STATUSES.includes(ctx.prev.ecsStatus);
  if (starting) return verdict('SUSPECT', 'HeartbeatMissing', `${stale}; first reconcile since it started`);
  const misses = Math.max(1, Math.ceil((ageSeconds - timeout) / ctx.reconcileSeconds));
  if (misses >= missesToDead) {
    return verdict(
      'DEAD',
      'MissesExceeded',
      `${stale}; ${misses} of ${missesToDead} reconcile misses`,
      misses,
    );
  }
  return verdict('SUSPECT', 'HeartbeatMissing', `${stale}; ${misses} of ${missesToDead} misses`, misses);
};

/** How old the newest evidence of life (ctx.lastSeen) is at ctx.nowMs, in seconds. */
function heartbeatAgeSeconds(ctx: Pick<HealthContext, 'nowMs' | 'lastSeen'>): number {
  return (ctx.nowMs - ctx.lastSeen) / 1000;
}

/** The rules in the order they are tried; the last one always decides. */
export const HEALTH_RULES: readonly HealthRule[] = [
  deadIsFinalRule,
  taskStoppedRule,
  containerUnhealthyRule,
  stopRequestedRule,
  notRunningRule,
  heartbeatRule,
];

export interface HealthTransition {
  /** The item to store. `version` is carried over: the store writes on it and increments it. */
  readonly next: TaskHealthItem;
  readonly verdict: HealthVerdict;
  /** The status differs from the previous one: the planner has something to act on. */
  readonly statusChanged: boolean;
  /**
   * Something other than lastSeen changed. When false the write can be skipped: lastSeen is
   * re-derived from the metrics every tick, so steady state costs no writes.
   */
  readonly mustWrite: boolean;
  /** The observation carried an ECS event that was not newer than the recorded one. */
  readonly ecsEventIgnored: boolean;
  /**
   * The heartbeat (the newest evidence of life: a metric datapoint or the task's start) is
   * older than heartbeatTimeoutSeconds, whatever the verdict. A fact about the observations,
   * not about the stored status, so it is the same when the evaluation is repeated on what it
   * wrote (the metrics-outage rule depends on that).
   */
  readonly heartbeatStale: boolean;
}

/** The health item of a TaskManager seen for the first time (not trusted until evaluated). */
export function newTaskHealth(taskId: string, nowMs: number, startedAt?: number): TaskHealthItem {
  return {
    taskId,
    status: 'SUSPECT',
    ecsStatus: 'UNKNOWN',
    ecsVersion: 0,
    misses: 0,
    lastSeen: startedAt ?? nowMs,
    ...(startedAt === undefined ? {} : { startedAt }),
    version: 0,
  };
}

/** Builds the context the rules read: which ECS observation is in force and the freshness. */
export function healthContext(
  prev: TaskHealthItem,
  observation: HealthObservation,
  config: HealthConfig,
  nowMs: number,
): HealthContext {
  const ecs = ecsInForce(prev, observation.ecs);
  const startedAt = ecs?.startedAt ?? prev.startedAt;
  const lastSeen = Math.max(
    prev.lastSeen,
    observation.lastDatapointAt ?? Number.NEGATIVE_INFINITY,
    startedAt ?? Number.NEGATIVE_INFINITY,
  );
  return {
    prev,
    ecs,
    containerHealth: ecs?.source === 'describe' ? ecs.healthStatus : undefined,
    ecsStatus: ecs?.lastStatus ?? prev.ecsStatus,
    lastSeen,
    reconcile: observation.reconcile,
    reconcileSeconds: observation.reconcileSeconds ?? DEFAULT_RECONCILE_SECONDS,
    config,
    nowMs,
  };
}

/** Runs the rules in order; the first that decides wins. */
export function evaluateHealth(
  ctx: HealthContext,
  rules: readonly HealthRule[] = HEALTH_RULES,
): HealthVerdict {
  for (const rule of rules) {
    const v = rule(ctx);
    if (v !== undefined) return v;
  }
  return verdict(ctx.prev.status, 'HeartbeatMissing', 'no rule decided', ctx.prev.misses);
}

/** The next health item of a TaskManager after one observation. */
export function nextHealth(
  prev: TaskHealthItem,
  observation: HealthObservation,
  config: HealthConfig,
  nowMs: number,
): HealthTransition {
  const ctx = healthContext(prev, observation, config, nowMs);
  const v = evaluateHealth(ctx);
  const startedAt = ctx.ecs?.startedAt ?? prev.startedAt;
  const becameGone = ECS_GONE_STATUSES.includes(ctx.ecsStatus) && !ECS_GONE_STATUSES.includes(prev.ecsStatus);
  const goneAt = prev.goneAt ?? (becameGone ? nowMs : undefined);
  const next: TaskHealthItem = {
    ...prev,
    taskId: prev.taskId,
    status: v.status,
    ecsStatus: ctx.ecsStatus,
    ecsVersion: ctx.ecs?.version ?? prev.ecsVersion,
    misses: v.misses,
    lastSeen: ctx.lastSeen,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(goneAt === undefined ? {} : { goneAt }),
    version: prev.version,
  };
  const mustWrite =
    next.status !== prev.status ||
    next.ecsStatus !== prev.ecsStatus ||
    next.ecsVersion !== prev.ecsVersion ||
    next.misses !== prev.misses ||
    next.startedAt !== prev.startedAt ||
    next.goneAt !== prev.goneAt;
  return {
    next,
    verdict: v,
    statusChanged: next.status !== prev.status,
    mustWrite,
    ecsEventIgnored: observation.ecs !== undefined && ctx.ecs === undefined,
    heartbeatStale: heartbeatAgeSeconds(ctx) > config.heartbeatTimeoutSeconds,
  };
}

// ---------------------------------------------------------------- hung TaskManagers

export interface HungSelection {
  /** TaskManagers to stop now, longest silent first. */
  readonly stop: readonly string[];
  /** Hung TaskManagers left for a later tick by the rate limit. */
  readonly deferred: readonly string[];
}

/**
 * A TaskManager that ECS reports RUNNING but that is DEAD by health is hung: stop it, at
 * most maxStopsPerMinute in any 60 s (recentStops are the epoch ms of earlier stops), so
 * that a metrics outage cannot stop the whole fleet. Longest silent first, then by id.
 */
export function selectHungToStop(
  tasks: readonly Pick<TaskHealthItem, 'taskId' | 'status' | 'ecsStatus' | 'lastSeen'>[],
  maxStopsPerMinute: number,
  recentStops: readonly number[],
  nowMs: number,
): HungSelection {
  const hung = tasks
    .filter((t) => t.status === 'DEAD' && t.ecsStatus === 'RUNNING')
    .sort((a, b) => a.lastSeen - b.lastSeen || compareIds(a.taskId, b.taskId))
    .map((t) => t.taskId);
  const inLastMinute = recentStops.filter((at) => at > nowMs - 60_000 && at <= nowMs).length;
  const budget = Math.max(0, Math.floor(maxStopsPerMinute) - inLastMinute);
  return { stop: hung.slice(0, budget), deferred: hung.slice(budget) };
}

/**
 * A metrics outage, not hung TaskManagers: more than half of the running TaskManagers (and at
 * least two) look stale at once (counted from observations: reconcile-rules.ts metricsOutage).
 * A reconcile then judges no heartbeat (it evaluates as if it had no metrics), so a CloudWatch
 * delay cannot declare the fleet dead; real hangs are still found by ECS's container health
 * checks, and a lone hung TaskManager by its heartbeat.
 */
export function isMetricsOutage(staleCount: number, runningCount: number): boolean {
  return staleCount >= 2 && staleCount * 2 > runningCount;
}
