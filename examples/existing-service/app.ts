/**
 * A team's CDK app that already runs its Flink TaskManagers as an ECS service, adding the
 * autoscaler next to it. It depends on the product by package name (`npm install
 * flink-ecs-autoscaler`), as any CDK user installs a construct library; cdk-nag checks the
 * whole app at synth.
 *
 *   npm install && npx tsx app.ts      # synthesizes into cdk.out, offline
 */
import { App, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { FlinkAutoscaler } from 'flink-ecs-autoscaler';

/** The team's existing Flink cluster: a VPC, an ECS cluster and the TaskManager service. */
class FlinkStack extends Stack {
  readonly cluster: ecs.Cluster;
  readonly taskManagers: ecs.FargateService;
  readonly lagAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: 'orders-flink',
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskManager', {
      cpu: 1024,
      memoryLimitMiB: 4096,
    });
    taskDefinition.addContainer('taskmanager', {
      image: ecs.ContainerImage.fromRegistry('flink:2.2.1-java17'),
      command: ['taskmanager'],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'taskmanager',
        logGroup: new logs.LogGroup(this, 'TaskManagerLogs', { retention: logs.RetentionDays.ONE_MONTH }),
      }),
      portMappings: [{ containerPort: 6121 }, { containerPort: 6122 }, { containerPort: 9249 }],
    });
    const securityGroup = new ec2.SecurityGroup(this, 'TaskManagerSg', { vpc, allowAllOutbound: true });
    this.taskManagers = new ecs.FargateService(this, 'TaskManagers', {
      cluster: this.cluster,
      serviceName: 'orders-taskmanager',
      taskDefinition,
      desiredCount: 2,
      securityGroups: [securityGroup],
      // The autoscaler's failover function may stop and protect only this service's tasks:
      // it finds them by the ECS managed tag aws:ecs:serviceName.
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // The team's own consumer-lag alarm: its state changes make the scaler evaluate at once.
    this.lagAlarm = new cloudwatch.Alarm(this, 'LagAlarm', {
      alarmName: 'orders-flink-lag',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Kafka',
        metricName: 'SumOffsetLag',
        dimensionsMap: { 'Consumer Group': 'orders', Topic: 'orders' },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 100_000,
      evaluationPeriods: 3,
    });
  }
}

const env = { account: '123456789012', region: 'eu-west-1' };
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
const flink = new FlinkStack(app, 'OrdersFlink', { env });
const control = new Stack(app, 'OrdersFlinkAutoscaler', { env });
new FlinkAutoscaler(control, 'Autoscaler', {
  cluster: flink.cluster,
  service: flink.taskManagers,
  alarms: [flink.lagAlarm],
  config: {
    appId: 'orders',
    partitions: 48,
    slotsPerTaskManager: 2,
    metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: 'orders-flink' } },
    policy: { minTaskManagers: 2, maxTaskManagers: 24 },
  },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
