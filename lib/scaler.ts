/**
 * The scaler use case: read state, metrics and the ECS service; decide (pure, lib/core);
 * commit the decision with a conditional write on the scaler item's version; then set the
 * absolute desired count. A lost race stops before any ECS write.
 */
import { randomUUID } from 'node:crypto';
import { isAuditWorthy } from './core/audit';
import type { AppConfig } from './core/config';
import type { DecisionRecord, MetricSeries, ReasonCode, ScalerState, ServiceState } from './core/domain';
import { DependencyError } from './core/errors';
import { applyGuards, windowSamples } from './core/guards';
import { buildMetricQueries, type ResolvedMetrics, resolveMetrics, summarizeMetrics } from './core/metrics';
import { recommend } from './core/policy';
import { isStale, type ManualCommand, type Trigger, triggerId } from './core/triggers';
import type { Clock, MetricsSource, ServiceController, StateStore } from './ports';

export interface ScalerDeps {
  readonly config: AppConfig;
  readonly store: StateStore;
  readonly ecs: ServiceController;
  readonly metrics: MetricsSource;
  readonly clock: Clock;
  readonly newId?: () => string;
}

export interface StatusView {
  readonly state: ScalerState;
  readonly service: ServiceState;
  readonly decisions: readonly DecisionRecord[];
  readonly partitions: { readonly total: number; readonly unowned: number };
  readonly unhealthyTaskManagers: readonly string[];
}

export type ScalerResult = DecisionRecord & { readonly status?: StatusView };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type NextState = Mutable<Omit<ScalerState, 'version'>>;

/**
 * A pending decision younger than this may still be in flight in the invocation that
 * committed it (between its commit and its UpdateService): others stand down instead of
 * re-applying it. Older than this, its UpdateService failed and the next tick re-applies it.
 */
export const PENDING_GRACE_SECONDS = 30;

/** Manual commands retry a lost race this many times: an operator's intent is not dropped. */
const MANUAL_ATTEMPTS = 3;

export class Scaler {
  private readonly resolved: ResolvedMetrics;
  private readonly newId: () => string;

  constructor(private readonly deps: ScalerDeps) {
    this.resolved = resolveMetrics(deps.config.metrics);
    this.newId = deps.newId ?? randomUUID;
  }

  async handle(trigger: Trigger): Promise<ScalerResult> {
    if (trigger.kind === 'manual') return this.manual(trigger.command);
    return this.evaluate(trigger);
  }

  // ------------------------------------------------------------ automatic evaluation

  private async evaluate(trigger: Exclude<Trigger, { kind: 'manual' }>): Promise<ScalerResult> {
    const { config, store, ecs } = this.deps;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const detail = trigger.kind === 'alarm' ? `${trigger.alarmName}:${trigger.state}` : trigger.id;
    const record = this.recordFactory(now, trigger.kind, detail);
    if (isStale(trigger, nowMs, config.scheduleSeconds)) {
      return record({
        current: 0,
        running: 0,
        recommended: 0,
        desired: 0,
        reason: 'StaleEvent',
        applied: false,
        message: `event time ${trigger.eventTime.toISOString()} is older than two schedule periods`,
      });
    }

    let state: ScalerState;
    let service: ServiceState;
    try {
      [state, service] = await Promise.all([store.readScaler(config.appId), ecs.describeService()]);
    } catch (error) {
      if (error instanceof DependencyError && error.throttled) {
        return record({
          current: 0,
          running: 0,
          recommended: 0,
          desired: 0,
          reason: 'Throttled',
          applied: false,
          message: error.message,
        });
      }
      throw error;
    }
    const base = { current: service.desiredCount, running: service.runningCount };
    const id = triggerId(trigger);
    if (state.lastTriggerId === id) {
      return record({
        ...base,
        recommended: service.desiredCount,
        desired: service.desiredCount,
        reason: 'LostRace',
        applied: false,
        message: `event ${id} was already decided (duplicate delivery)`,
      });
    }

    if (state.pending && state.pending.desired !== service.desiredCount) {
      if (nowMs - state.pending.committedAt < PENDING_GRACE_SECONDS * 1000) {
        return record({
          ...base,
          recommended: state.pending.desired,
          desired: service.desiredCount,
          reason: 'LostRace',
          applied: false,
          message: `decision ${state.pending.decisionId} is being applied by another invocation`,
        });
      }
      return this.reapply(state, service, record);
    }

    const tasks = await ecs.listTasks();
    const matureBefore = nowMs - this.resolved.maxDataAgeSeconds * 1000;
    const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
    const expected = running.map((t) => t.taskId).sort();
    const young = new Set(
      running.filter((t) => (t.startedAt?.getTime() ?? nowMs) > matureBefore).map((t) => t.taskId),
    );
    const lastChange = Math.max(state.lastScaleOutAt ?? 0, state.lastScaleInAt ?? 0);
    const notBeforeMs = lastChange + config.policy.settleSeconds * 1000;
    let series: MetricSeries[] = [];
    let readProblem: string | undefined;
    if (expected.length > 0) {
      try {
        const start = new Date(nowMs - this.resolved.windowSeconds * 1000);
        series = await this.deps.metrics.getMetricData(
          buildMetricQueries(this.resolved, expected),
          start,
          now,
        );
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error;
        readProblem = `metrics read failed: ${error.message}`;
      }
    }
    const snapshot = summarizeMetrics(this.resolved, expected, series, nowMs, {
      optional: young,
      notBeforeMs,
    });
    const rec = recommend({
      config,
      current: service.desiredCount,
      running: Math.max(running.length, service.runningCount),
      metrics: snapshot,
      ...(state.perSlotRate !== undefined ? { perSlotRate: state.perSlotRate } : {}),
    });
    const guarded = applyGuards({
      nowMs,
      trigger: trigger.kind,
      config,
      state,
      service,
      recommendation: rec,
      metricsComplete: snapshot.complete && readProblem === undefined,
      dryRun: config.dryRun,
      settling: nowMs < notBeforeMs + this.resolved.periodSeconds * 1000,
    });

    const decisionId = this.newId();
    const change = guarded.reason === 'Applied';
    const samples = rec.hasData
      ? [...state.recommendations, { at: nowMs, desired: guarded.boundedRecommendation }]
      : state.recommendations;
    const next: NextState = {
      ...withoutVersion(state),
      recommendations: windowSamples(samples, nowMs, config.policy.scaleInStabilizationSeconds),
      lastDecisionAt: nowMs,
      lastTriggerId: id,
      lastReason: guarded.reason,
      ...(rec.perSlotRate !== undefined ? { perSlotRate: rec.perSlotRate } : {}),
    };
    // Applied already (only the clean-up after UpdateService was lost): forget it.
    if (next.pending && next.pending.desired === service.desiredCount) delete next.pending;
    if (change) markChange(next, decisionId, service.desiredCount, guarded.desired, nowMs);

    const problems = [...snapshot.problems, ...(readProblem ? [readProblem] : [])];
    const decision = {
      ...base,
      decisionId,
      policy: rec.policy,
      recommended: rec.desired,
      desired: guarded.desired,
      reason: guarded.reason,
      applied: false,
      ...(guarded.message ? { message: guarded.message } : {}),
      inputs: {
        ...rec.inputs,
        coverage: `${snapshot.taskManagers.length}/${expected.length}`,
        ...(problems.length > 0 ? { problems: problems.slice(0, 10) } : {}),
      },
    };
    if (!(await store.commitScaler(config.appId, state.version, next))) {
      return record({
        ...decision,
        desired: service.desiredCount,
        reason: 'LostRace',
        message: 'another invocation decided first',
      });
    }
    return this.applyAndLog(
      record(decision),
      change,
      isAuditWorthy(trigger.kind, guarded.reason, state.lastReason),
    );
  }

  /** A committed decision whose UpdateService failed: apply it again, absolute count. */
  private async reapply(state: ScalerState, service: ServiceState, record: RecordFn): Promise<ScalerResult> {
    const pending = state.pending as NonNullable<ScalerState['pending']>;
    const next: NextState = { ...withoutVersion(state), lastDecisionAt: this.deps.clock.now().getTime() };
    const decision = record({
      decisionId: pending.decisionId,
      current: service.desiredCount,
      running: service.runningCount,
      recommended: pending.desired,
      desired: pending.desired,
      reason: 'Applied',
      applied: false,
      message: `re-applying committed decision ${pending.decisionId}`,
    });
    if (!(await this.deps.store.commitScaler(this.deps.config.appId, state.version, next))) {
      return {
        ...decision,
        desired: service.desiredCount,
        reason: 'LostRace',
        message: 'another invocation decided first',
      };
    }
    return this.applyAndLog(decision, true);
  }

  /** Sets the desired count (if the decision changes it), then writes the audit item (if `keep`, lib/core/audit). */
  private async applyAndLog(decision: ScalerResult, change: boolean, keep = true): Promise<ScalerResult> {
    const { store, ecs, config } = this.deps;
    let result = decision;
    if (change) {
      try {
        await ecs.setDesiredCount(decision.desired);
        result = { ...decision, applied: true };
        await store.clearPending(config.appId, decision.decisionId);
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error;
        if (!result.applied) {
          result = {
            ...decision,
            reason: 'ApplyFailed',
            message: `UpdateService failed, will re-apply: ${error.message}`,
          };
        }
      }
    }
    if (!keep) return result;
    const ttl = Math.floor(Date.parse(result.at) / 1000) + config.decisionRetentionDays * 86_400;
    await store.putDecision(config.appId, stripStatus(result), ttl);
    return result;
  }

  // ------------------------------------------------------------ manual commands

  private async manual(command: ManualCommand): Promise<ScalerResult> {
    if (command.action === 'status') return this.status(command.limit);
    let last: ScalerResult | undefined;
    for (let attempt = 0; attempt < MANUAL_ATTEMPTS; attempt++) {
      last = await this.manualOnce(command);
      if (last.reason !== 'LostRace') return last;
    }
    return last as ScalerResult;
  }

  private async manualOnce(command: Exclude<ManualCommand, { action: 'status' }>): Promise<ScalerResult> {
    const { config, store, ecs } = this.deps;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const record = this.recordFactory(now, 'manual', command.action);
    const [state, service] = await Promise.all([store.readScaler(config.appId), ecs.describeService()]);
    const cur = service.desiredCount;
    const next: NextState = { ...withoutVersion(state), lastDecisionAt: nowMs };
    const decisionId = this.newId();
    const common = {
      decisionId,
      current: cur,
      running: service.runningCount,
      recommended: cur,
      desired: cur,
      applied: false,
    };
    let decision: ScalerResult;
    let change = false;
    switch (command.action) {
      case 'rescale': {
        const base = { ...common, recommended: command.desiredCount, desired: command.desiredCount };
        if (command.dryRun || config.dryRun) {
          return record({
            ...base,
            desired: cur,
            reason: 'DryRun',
            dryRun: true,
            message: `dry run: would set desired count ${cur} → ${command.desiredCount} and hold ${command.holdMinutes} min`,
          });
        }
        change = command.desiredCount !== cur;
        if (command.holdMinutes > 0) {
          next.hold = { until: nowMs + command.holdMinutes * 60_000, reason: command.reason, by: 'manual' };
        } else {
          delete next.hold;
        }
        if (change) markChange(next, decisionId, cur, command.desiredCount, nowMs);
        decision = record({ ...base, reason: change ? 'Applied' : 'NoChange', message: command.reason });
        break;
      }
      case 'pause':
        next.pause = { until: nowMs + command.minutes * 60_000, reason: command.reason, by: 'manual' };
        decision = record({
          ...common,
          reason: 'Paused',
          message: `paused for ${command.minutes} min: ${command.reason}`,
        });
        break;
      case 'resume':
        delete next.pause;
        delete next.hold;
        decision = record({ ...common, reason: 'Resumed', message: command.reason ?? 'resumed' });
        break;
    }
    if (!(await store.commitScaler(config.appId, state.version, next))) {
      return { ...decision, desired: cur, reason: 'LostRace', message: 'another invocation decided first' };
    }
    return this.applyAndLog(decision, change);
  }

  private async status(limit: number): Promise<ScalerResult> {
    const { config, store, ecs } = this.deps;
    const now = this.deps.clock.now();
    const [items, service, decisions] = await Promise.all([
      store.readApp(config.appId),
      ecs.describeService(),
      store.listDecisions(config.appId, limit),
    ]);
    const record = this.recordFactory(now, 'manual', 'status');
    return {
      ...record({
        decisionId: this.newId(),
        current: service.desiredCount,
        running: service.runningCount,
        recommended: service.desiredCount,
        desired: service.desiredCount,
        reason: 'Status',
        applied: false,
      }),
      status: {
        state: items.scaler,
        service,
        decisions,
        partitions: {
          total: items.partitions.length,
          unowned: items.partitions.filter((p) => p.owner === null).length,
        },
        unhealthyTaskManagers: items.tasks.filter((t) => t.status !== 'HEALTHY').map((t) => t.taskId),
      },
    };
  }

  private recordFactory(now: Date, trigger: DecisionRecord['trigger'], detail: string | undefined): RecordFn {
    const policy = trigger === 'manual' ? 'manual' : this.deps.config.policy.mode;
    return (fields) => ({
      decisionId: fields.decisionId ?? this.newId(),
      at: now.toISOString(),
      trigger,
      ...(detail ? { triggerDetail: detail } : {}),
      policy: fields.policy ?? policy,
      dryRun: fields.dryRun ?? (this.deps.config.dryRun || fields.reason === 'DryRun'),
      ...fields,
    });
  }
}

type RecordFields = Omit<DecisionRecord, 'decisionId' | 'at' | 'trigger' | 'policy' | 'dryRun'> &
  Partial<Pick<DecisionRecord, 'decisionId' | 'policy' | 'dryRun'>> & { reason: ReasonCode };
type RecordFn = (fields: RecordFields) => DecisionRecord;

function withoutVersion(state: ScalerState): NextState {
  const { version: _version, ...rest } = state;
  return { ...rest };
}

function markChange(next: NextState, decisionId: string, from: number, to: number, nowMs: number): void {
  next.desired = to;
  next.pending = { decisionId, desired: to, committedAt: nowMs };
  if (to > from) next.lastScaleOutAt = nowMs;
  if (to < from) next.lastScaleInAt = nowMs;
}

function stripStatus(result: ScalerResult): DecisionRecord {
  const { status: _status, ...decision } = result;
  return decision;
}
