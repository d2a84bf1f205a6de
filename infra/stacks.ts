/**
 * The stacks of one autoscaled Flink application:
 * - `<prefix>-State`: the DynamoDB table (stateful, retained);
 * - `<prefix>`: the functions, triggers, dashboard and alarms (stateless, safe to redeploy);
 * - `<prefix>-DemoCluster` (optional): a demo Flink cluster on Fargate to autoscale.
 */
import { type App, CfnOutput, type Environment, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AppConfig, AppConfigInput } from '../lib/core/config.js';
import { AutoscalerTable } from './constructs/autoscaler-table.js';
import { DemoFlinkCluster } from './constructs/demo-flink-cluster.js';
import { FlinkAutoscaler, type FlinkAutoscalerProps } from './constructs/flink-autoscaler.js';

export class StateStack extends Stack {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.table = new AutoscalerTable(this, 'State').table;
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'The autoscaler state table',
    });
  }
}

export interface ControlPlaneStackProps extends StackProps {
  readonly autoscaler: Omit<FlinkAutoscalerProps, 'alarmTopic'>;
  /**
   * An existing SNS topic for the controller alarms.
   * @default no alarm actions
   */
  readonly alarmTopicArn?: string;
}

export class ControlPlaneStack extends Stack {
  readonly autoscaler: FlinkAutoscaler;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.autoscaler = new FlinkAutoscaler(this, 'Autoscaler', {
      ...props.autoscaler,
      ...(props.alarmTopicArn !== undefined
        ? { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) }
        : {}),
    });
    new CfnOutput(this, 'ScalerFunctionName', {
      value: this.autoscaler.scalerFunction.functionName,
      description:
        'Invoke with {"action":"rescale"|"pause"|"resume"|"status", ...} to operate the autoscaler',
    });
    new CfnOutput(this, 'FailoverFunctionName', { value: this.autoscaler.failoverFunction.functionName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.autoscaler.deadLetterQueue.queueUrl });
    const dashboard = this.autoscaler.operations.dashboard;
    if (dashboard) new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
  }
}

export interface DemoClusterStackProps extends StackProps {
  readonly config: AppConfig;
}

export class DemoClusterStack extends Stack {
  readonly demo: DemoFlinkCluster;

  constructor(scope: Construct, id: string, props: DemoClusterStackProps) {
    super(scope, id, props);
    this.demo = new DemoFlinkCluster(this, 'Flink', {
      clusterName: props.config.ecs.cluster,
      taskManagerServiceName: props.config.ecs.service,
      slotsPerTaskManager: props.config.slotsPerTaskManager,
    });
    new CfnOutput(this, 'ClusterName', { value: this.demo.cluster.clusterName });
    new CfnOutput(this, 'TaskManagerServiceName', { value: this.demo.taskManagerService.serviceName });
    new CfnOutput(this, 'JobManagerHost', { value: this.demo.jobManagerHost });
  }

  /** The first two zones of the region, resolved by CloudFormation: no context lookup, so synth stays offline. */
  override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }
}

export interface AutoscalerAppOptions {
  /** The validated app config. */
  readonly config: AppConfig;
  readonly env: Required<Pick<Environment, 'account' | 'region'>>;
  /** Also deploy the demo Flink cluster the config's `ecs` names. */
  readonly demoCluster: boolean;
  /** SNS topic for the controller alarms. */
  readonly alarmTopicArn?: string;
  /** Prebuilt function code (tests; CI artifacts). */
  readonly code?: FlinkAutoscalerProps['code'];
}

export interface AutoscalerStacks {
  readonly state: StateStack;
  readonly controlPlane: ControlPlaneStack;
  readonly demo?: DemoClusterStack;
}

/** `FlinkEcsAutoscaler-<appId>`, with the characters CloudFormation rejects in stack names replaced. */
export function stackPrefix(appId: string): string {
  return `FlinkEcsAutoscaler-${appId.replace(/[^A-Za-z0-9-]/g, '-')}`;
}

export function addAutoscalerStacks(app: App, options: AutoscalerAppOptions): AutoscalerStacks {
  const { config, env } = options;
  const prefix = stackPrefix(config.appId);
  Tags.of(app).add('project', 'flink-ecs-autoscaler');
  Tags.of(app).add('flink-ecs-autoscaler:appId', config.appId);

  const demo = options.demoCluster
    ? new DemoClusterStack(app, `${prefix}-DemoCluster`, {
        env,
        config,
        description: `Demo Flink cluster on ECS Fargate for the autoscaler (${config.appId})`,
      })
    : undefined;
  const state = new StateStack(app, `${prefix}-State`, {
    env,
    description: `Flink ECS autoscaler state: DynamoDB table, retained on delete (${config.appId})`,
  });
  const controlPlane = new ControlPlaneStack(app, prefix, {
    env,
    description: `Flink ECS autoscaler control plane: functions, triggers, dashboard, alarms (${config.appId})`,
    autoscaler: {
      config: config satisfies AppConfigInput,
      table: state.table,
      ...(options.code ? { code: options.code } : {}),
    },
    ...(options.alarmTopicArn !== undefined ? { alarmTopicArn: options.alarmTopicArn } : {}),
  });
  // The autoscaler addresses the demo cluster by name; deploy the cluster first.
  if (demo) controlPlane.addStackDependency(demo);
  return { state, controlPlane, ...(demo ? { demo } : {}) };
}
