/**
 * The local CloudWatch's metric alarms: what DescribeAlarms answers. The playground defines
 * the alarms of a scenario here and sets their state as its evaluator decides (the engine
 * evaluates them on the simulated cluster, as CloudWatch would on 60 s periods).
 */
import { SimulationUsageError } from './errors';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export interface AlarmDefinition {
  readonly name: string;
  readonly description?: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'SampleCount';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  /** @default [] */
  readonly alarmActions?: readonly string[];
}

export interface Alarm extends AlarmDefinition {
  readonly arn: string;
  readonly state: AlarmState;
  readonly stateReason: string;
  readonly stateUpdatedAtMs: number;
  readonly configurationUpdatedAtMs: number;
}

export class AlarmRegistry {
  private readonly alarms = new Map<string, Alarm>();

  constructor(
    private readonly region = 'us-east-1',
    private readonly accountId = '123456789012',
  ) {}

  /** Defines (or redefines) an alarm; a new alarm starts in INSUFFICIENT_DATA, as in CloudWatch. */
  define(definition: AlarmDefinition, nowMs: number): Alarm {
    const existing = this.alarms.get(definition.name);
    const alarm: Alarm = {
      ...definition,
      arn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${definition.name}`,
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      stateReason: existing?.stateReason ?? 'Unchecked: Initial alarm creation',
      stateUpdatedAtMs: existing?.stateUpdatedAtMs ?? nowMs,
      configurationUpdatedAtMs: nowMs,
    };
    this.alarms.set(definition.name, alarm);
    return alarm;
  }

  /** Sets an alarm's state (SetAlarmState, or the evaluator). */
  setState(name: string, state: AlarmState, reason: string, nowMs: number): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new SimulationUsageError(`unknown alarm ${name}`);
    this.alarms.set(name, { ...alarm, state, stateReason: reason, stateUpdatedAtMs: nowMs });
  }

  /** Alarms sorted by name, as DescribeAlarms lists them. */
  list(): Alarm[] {
    return [...this.alarms.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
