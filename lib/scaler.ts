/**
 * The scaler use case: read the SCALER item, the ECS service, its tasks and their metrics;
 * decide (lib/core/decide.ts, pure); commit the decision with a conditional write on the
 * item's version; set the absolute desired count; check that the change is still the latest
 * and confirm it; log. It decides nothing itself: every branch below follows a value that
 * lib/core computed. A failed dependency is a decision record (Throttled, DependencyFailed,
 * ApplyFailed), never an exception, so a scheduled tick is not retried into the DLQ.
 */
import { randomUUID } from 'node:crypto';
import type { AppConfig } from './core/config.js';
import {
  type AutomaticTrigger,
  afterApply,
  type ChangeCommand,
  type ClusterReading,
  type Decision,
  type DecisionFields,
  decideAutomatic,
  decideManual,
  expectedTaskManagers,
  reopen,
  screenTrigger,
} from './core/decide.js';
import type { DecisionRecord, ReasonCode, ScalerChange, ScalerState, ServiceState } from './core/domain.js';
import { type DependencyError, outcomeOf } from './core/errors.js';
import { queryStartMs, type ResolvedMetrics, resolveMetrics, scalerQueries } from './core/metrics.js';
import type { ManualCommand, Trigger } from './core/triggers.js';
import type { Clock, MetricsSource, ServiceController, StateStore } from './ports.js';

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

/** Manual commands retry a lost race this many times: an operator's intent is not dropped. */
const MANUAL_ATTEMPTS = 3;
/** UpdateService calls (and lost confirmations) of one apply before the next tick takes over. */
export const MAX_APPLY_ROUNDS = 4;

type RecordFn = (fields: DecisionFields & { readonly decisionId?: string }) => DecisionRecord;

/** A failed read or commit as the decision it becomes. */
function failedDependency(what: string, error: DependencyError): DecisionFields {
  const reason: ReasonCode = error.throttled ? 'Throttled' : 'DependencyFailed';
  return {
    current: 0,
    running: 0,
    recommended: 0,
    desired: 0,
    reason,
    message: `${what}: ${error.message}`,
  };
}

export class Scaler {
  private readonly resolved: ResolvedMetrics;
  private readonly newId: () => string;

  constructor(private readonly deps: ScalerDeps) {
    this.resolved = resolveMetrics(deps.config);
    this.newId = deps.newId ?? randomUUID;
  }

  async handle(trigger: Trigger): Promise<ScalerResult> {
    if (trigger.kind === 'manual') return this.manual(trigger.command);
    return this.evaluate(trigger);
  }

  // ------------------------------------------------------------ automatic evaluation

  private async evaluate(trigger: AutomaticTrigger): Promise<ScalerResult> {
    const { config, store, ecs, metrics } = this.deps;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const detail = trigger.kind === 'alarm' ? `${trigger.alarmName}:${trigger.state}` : trigger.id;
    const record = this.recordFactory(now, trigger.kind, detail);
    const screened = screenTrigger(trigger, nowMs, config);
    if (screened) return record(screened);

    // The item first, then ECS: what ECS says is then at least as new as the state decided on
    // (a pending change is judged landed only on an ECS read made after it was seen).
    const read = await outcomeOf(async () => {
      const state = await store.readScaler(config.appId);
      const [service, tasks] = await Promise.all([ecs.describeService(), ecs.listTasks()]);
      return { state, service, tasks };
    });
    if (!read.ok) return record(failedDependency('reading the state, the service or its tasks', read.error));
    const { state, service, tasks } = read.value;
    const expected = expectedTaskManagers(tasks);
    let cluster: ClusterReading = { tasks, series: [] };
    if (expected.length > 0) {
      const start = new Date(queryStartMs(this.resolved, nowMs));
      const series = await outcomeOf(() =>
        metrics.getMetricData(scalerQueries(this.resolved, config.policy.mode, expected), start, now),
      );
      cluster = series.ok
        ? { tasks, series: series.value }
        : { tasks, series: [], metricsProblem: `metrics read failed: ${series.error.message}` };
    }
    const decisionId = this.newId();
    const decision = decideAutomatic({
      config,
      resolved: this.resolved,
      trigger,
      nowMs,
      decisionId,
      state,
      service,
      cluster,
    });
    return this.execute(decision, state, record, decisionId);
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

  private async manualOnce(command: ChangeCommand): Promise<ScalerResult> {
    const { config, store, ecs } = this.deps;
    const now = this.deps.clock.now();
    const record = this.recordFactory(now, 'manual', command.action);
    const read = await outcomeOf(async () => {
      const state = await store.readScaler(config.appId);
      return { state, service: await ecs.describeService() };
    });
    if (!read.ok) return record(failedDependency('reading the state or the service', read.error));
    const { state, service } = read.value;
    const decisionId = this.newId();
    const decision = decideManual({ config, command, nowMs: now.getTime(), decisionId, state, service });
    return this.execute(decision, state, record, decisionId);
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
        current: service.desiredCount,
        running: service.runningCount,
        recommended: service.desiredCount,
        desired: service.desiredCount,
        reason: 'Status',
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

  // ------------------------------------------------------------ commit, apply, log

  /** Commits the decision's state (if any), applies its change (if any), logs it. */
  private async execute(
    decision: Decision,
    state: ScalerState,
    record: RecordFn,
    decisionId: string,
  ): Promise<ScalerResult> {
    const { store, config } = this.deps;
    const decided = record({ ...decision.fields, decisionId: decision.apply?.decisionId ?? decisionId });
    if (decision.next === undefined) return this.log(decided, decision.audit);
    const next = decision.next;
    const committed = await outcomeOf(() => store.commitScaler(config.appId, state.version, next));
    if (!committed.ok) {
      return record({ ...decision.fields, ...failedDependency('committing the decision', committed.error) });
    }
    if (!committed.value) {
      return {
        ...decided,
        desired: decision.fields.current,
        reason: 'LostRace',
        message: 'another invocation decided first',
      };
    }
    const result = decision.apply ? await this.apply(decision.apply, decided) : decided;
    return this.log(result, decision.audit);
  }

  /**
   * Sets the change's count, then checks it against the SCALER item and the service
   * (lib/core/decide.ts afterApply): confirm it, or re-assert a newer change that this
   * invocation's late UpdateService overwrote, or stand aside for a newer one.
   */
  private async apply(ours: ScalerChange, decided: DecisionRecord): Promise<ScalerResult> {
    const { store, ecs, config } = this.deps;
    let target = ours;
    let result: ScalerResult = decided;
    let send = true;
    for (let sends = 0; ; ) {
      if (send) {
        const count = target.desired;
        const sent = await outcomeOf(() => ecs.setDesiredCount(count));
        if (!sent.ok) {
          if (target === ours) {
            return {
              ...result,
              reason: 'ApplyFailed',
              message: `UpdateService failed, will re-apply: ${sent.error.message}`,
            };
          }
          await this.reopen();
          return {
            ...result,
            message: join(
              result.message,
              `re-asserting it failed, left pending for the next tick: ${sent.error.message}`,
            ),
          };
        }
        if (target === ours) result = { ...result, applied: true };
        sends++;
      }
      // ECS first, then the SCALER item: a change committed after ECS was read is then seen.
      const read = await outcomeOf(async () => {
        const service = await ecs.describeService();
        return { service, state: await store.readScaler(config.appId) };
      });
      if (!read.ok) {
        // The count was set; the next evaluation confirms it (or re-applies it) from the pending change.
        return { ...result, message: join(result.message, `not confirmed yet: ${read.error.message}`) };
      }
      const { state, service } = read.value;
      const verdict = afterApply(target, state, service.desiredCount, this.deps.clock.now().getTime());
      send = false;
      switch (verdict.kind) {
        case 'confirmed':
          return result;
        case 'confirm': {
          const next = verdict.next;
          const ok = await outcomeOf(() => store.commitScaler(config.appId, state.version, next));
          if (ok.ok && ok.value) return result;
          if (sends + 1 >= MAX_APPLY_ROUNDS) return result; // left pending: the next tick confirms it
          sends++;
          break; // lost the confirmation to a racing write (or it failed): look again
        }
        case 'resend':
        case 'correct':
          if (verdict.kind === 'correct') {
            result = superseded(result, verdict.to, true);
            target = verdict.to;
          }
          if (sends >= MAX_APPLY_ROUNDS) {
            // Racing writers still land after each other: hand the latest change to the next tick.
            await this.reopen();
            return {
              ...result,
              message: join(
                result.message,
                `still racing after ${sends} UpdateService calls, left pending for the next tick`,
              ),
            };
          }
          send = true;
          break;
        case 'superseded':
          return verdict.by ? superseded(result, verdict.by, false) : result;
      }
    }
  }

  /**
   * Marks the latest change pending again (lib/core/decide.ts reopen), so the next evaluation
   * checks it against ECS; a lost race means the item changed: read it again.
   */
  private async reopen(): Promise<void> {
    const { store, config } = this.deps;
    for (let round = 0; round < MAX_APPLY_ROUNDS; round++) {
      const read = await outcomeOf(() => store.readScaler(config.appId));
      const next = read.ok ? reopen(read.value) : undefined;
      if (!read.ok || next === undefined) return;
      const reopened = await outcomeOf(() => store.commitScaler(config.appId, read.value.version, next));
      if (!reopened.ok || reopened.value) return;
    }
  }

  /** Writes the audit item (if `keep`, lib/core/audit); a failure to write it is reported, not thrown. */
  private async log(result: ScalerResult, keep: boolean): Promise<ScalerResult> {
    if (!keep) return result;
    const { store, config } = this.deps;
    const ttl = Math.floor(Date.parse(result.at) / 1000) + config.decisionRetentionDays * 86_400;
    const put = await outcomeOf(() => store.putDecision(config.appId, result, ttl));
    return put.ok
      ? result
      : { ...result, message: join(result.message, `audit item not written: ${put.error.message}`) };
  }

  private recordFactory(now: Date, trigger: DecisionRecord['trigger'], detail: string | undefined): RecordFn {
    const policy = trigger === 'manual' ? 'manual' : this.deps.config.policy.mode;
    return (fields) => ({
      decisionId: fields.decisionId ?? this.newId(),
      at: now.toISOString(),
      trigger,
      ...(detail ? { triggerDetail: detail } : {}),
      ...fields,
      policy: fields.policy ?? policy,
      dryRun: fields.dryRun ?? (this.deps.config.dryRun || fields.reason === 'DryRun'),
      applied: false,
    });
  }
}

function join(message: string | undefined, more: string): string {
  return message ? `${message}; ${more}` : more;
}

function superseded(result: ScalerResult, by: ScalerChange, corrected: boolean): ScalerResult {
  return {
    ...result,
    reason: 'Superseded',
    applied: false,
    message: join(
      result.message,
      corrected
        ? `superseded by decision ${by.decisionId} (desired ${by.desired}); this invocation's UpdateService landed after it, so its count is set again`
        : `superseded by decision ${by.decisionId} (desired ${by.desired})`,
    ),
  };
}
