/**
 * Operating the autoscaler: a CloudWatch dashboard that shows what it decided and why, and
 * alarms on the controller itself (the functions failing, being throttled, not running, or
 * dropping events into the dead-letter queue).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTOSCALER_METRICS } from '../../lib/core/schema.js';

/** The EMF metrics the functions publish (one definition, lib/core/schema.ts). */
export { AUTOSCALER_METRICS };

/** ECS Container Insights service metrics (present when Container Insights is on for the cluster). */
const CONTAINER_INSIGHTS_NAMESPACE = 'ECS/ContainerInsights';

export interface AutoscalerOperationsProps {
  /** Prefix of the alarm names and the dashboard name (letters, digits, `-`, `_`). */
  readonly namePrefix: string;
  /** The `appId` dimension of the EMF metrics. */
  readonly appId: string;
  /** The `service` dimension of the EMF metrics (POWERTOOLS_SERVICE_NAME). */
  readonly metricsServiceName: string;
  readonly clusterName: string;
  readonly taskManagerServiceName: string;
  /** Seed rule: threshold = average load × loadFactor. */
  readonly loadFactor: number;
  /** Rate policy: the utilization the cluster is sized for. */
  readonly targetUtilization: number;
  readonly scaler: lambda.IFunction;
  readonly failover: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Topic notified when an alarm goes into ALARM and back to OK.
   * @default no alarm actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create the dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

export class AutoscalerOperations extends Construct {
  /** Every alarm on the controller. */
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AutoscalerOperationsProps) {
    super(scope, id);
    const oneMinute = Duration.minutes(1);
    const emf = (metricName: string, statistic: string, label: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: AUTOSCALER_METRICS.namespace,
        metricName,
        dimensionsMap: { service: props.metricsServiceName, appId: props.appId },
        statistic,
        period: oneMinute,
        label,
      });

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      options: {
        threshold: number;
        comparison: cloudwatch.ComparisonOperator;
        evaluationPeriods: number;
        datapointsToAlarm: number;
        missing: cloudwatch.TreatMissingData;
      },
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${props.namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold: options.threshold,
        comparisonOperator: options.comparison,
        evaluationPeriods: options.evaluationPeriods,
        datapointsToAlarm: options.datapointsToAlarm,
        treatMissingData: options.missing,
      });
      if (props.alarmTopic) {
        const action = new cloudwatchActions.SnsAction(props.alarmTopic);
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
      alarms.push(created);
      return created;
    };

    const sustained = {
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    for (const [label, fn] of [
      ['Scaler', props.scaler],
      ['Failover', props.failover],
    ] as const) {
      alarm(
        `${label}Errors`,
        `The ${label.toLowerCase()} function failed in 3 of the last 5 minutes. Its logs name the failing call.`,
        fn.metricErrors({ period: oneMinute, statistic: 'Sum' }),
        sustained,
      );
      alarm(
        `${label}Throttles`,
        `The ${label.toLowerCase()} function was throttled in 3 of the last 5 minutes (the scaler runs with reserved concurrency 1; occasional throttles are retried, sustained ones delay decisions).`,
        fn.metricThrottles({ period: oneMinute, statistic: 'Sum' }),
        sustained,
      );
    }
    alarm(
      'ScalerNotRunning',
      'The scaler was not invoked for 10 minutes although its schedule fires every minute: the schedule rule is disabled or the function cannot be invoked.',
      props.scaler.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
      {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        missing: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    alarm(
      'DeadLetterQueueDepth',
      'Events the autoscaler could not process are waiting in its dead-letter queue; read them, fix the cause, then purge the queue.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.alarms = alarms;

    if (props.dashboard ?? true) {
      const serviceMetric = (metricName: string, label: string): cloudwatch.Metric =>
        new cloudwatch.Metric({
          namespace: CONTAINER_INSIGHTS_NAMESPACE,
          metricName,
          dimensionsMap: { ClusterName: props.clusterName, ServiceName: props.taskManagerServiceName },
          statistic: 'Average',
          period: oneMinute,
          label,
        });
      const averageLoad = emf(AUTOSCALER_METRICS.averageLoad, 'Average', 'Average load (busy fraction)');
      const decisionsByReason = new cloudwatch.MathExpression({
        expression:
          `SEARCH('{${AUTOSCALER_METRICS.namespace},Reason,appId,service} ` +
          `MetricName="${AUTOSCALER_METRICS.decisions}" appId="${props.appId}" service="${props.metricsServiceName}"', 'Sum', 300)`,
        usingMetrics: {},
        label: '',
        period: Duration.minutes(5),
      });
      const errorsAndThrottles = [props.scaler, props.failover].flatMap((fn, i) => {
        const name = i === 0 ? 'scaler' : 'failover';
        return [
          fn.metricErrors({ period: oneMinute, statistic: 'Sum', label: `${name} errors` }),
          fn.metricThrottles({ period: oneMinute, statistic: 'Sum', label: `${name} throttles` }),
        ];
      });

      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        dashboardName: props.namePrefix,
        defaultInterval: Duration.hours(6),
        widgets: [
          [
            new cloudwatch.GraphWidget({
              title: 'TaskManagers: desired vs running',
              width: 12,
              left: [
                emf(AUTOSCALER_METRICS.desiredTaskManagers, 'Maximum', 'Desired (autoscaler decision)'),
                emf(AUTOSCALER_METRICS.recommendedTaskManagers, 'Maximum', 'Recommended (before guards)'),
                serviceMetric('RunningTaskCount', 'Running (Container Insights)'),
                serviceMetric('DesiredTaskCount', 'ECS desired (Container Insights)'),
              ],
              leftYAxis: { min: 0, showUnits: false },
            }),
            new cloudwatch.GraphWidget({
              title: 'Load vs threshold',
              width: 12,
              left: [
                averageLoad,
                new cloudwatch.MathExpression({
                  expression: `load * ${props.loadFactor}`,
                  usingMetrics: { load: averageLoad },
                  label: `Seed threshold (average × ${props.loadFactor})`,
                  period: oneMinute,
                }),
              ],
              leftAnnotations: [
                { value: props.targetUtilization, label: 'Rate policy target utilization' },
                { value: 1, label: 'Saturated', color: cloudwatch.Color.RED },
              ],
              leftYAxis: { min: 0, showUnits: false },
            }),
          ],
          [
            new cloudwatch.GraphWidget({
              title: 'Decisions by reason (per 5 minutes)',
              width: 12,
              stacked: true,
              left: [decisionsByReason],
              leftYAxis: { min: 0, showUnits: false },
            }),
            new cloudwatch.GraphWidget({
              title: 'Failovers and partitions moved',
              width: 12,
              left: [
                emf(AUTOSCALER_METRICS.failovers, 'Sum', 'Failovers'),
                emf(AUTOSCALER_METRICS.partitionsMoved, 'Sum', 'Partitions moved'),
              ],
              leftYAxis: { min: 0, showUnits: false },
            }),
          ],
          [
            new cloudwatch.GraphWidget({
              title: 'Controller errors',
              width: 12,
              left: errorsAndThrottles,
              right: [
                props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                  period: oneMinute,
                  statistic: 'Maximum',
                  label: 'dead-letter queue depth',
                }),
              ],
              leftYAxis: { min: 0, showUnits: false },
              rightYAxis: { min: 0, showUnits: false },
            }),
            new cloudwatch.AlarmStatusWidget({ title: 'Controller alarms', width: 12, alarms }),
          ],
        ],
      });
    }
  }
}
