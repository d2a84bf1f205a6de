/**
 * An optional demo Flink cluster on ECS Fargate, for a user without one: a VPC, an ECS
 * cluster with Container Insights, a JobManager service reachable by a Cloud Map name that
 * runs Flink's StateMachineExample job in reactive mode, and a TaskManager service whose
 * tasks carry a CloudWatch agent sidecar. The sidecar scrapes Flink's Prometheus reporter
 * and publishes what the one definition of the Flink metrics says (lib/core/flink-metrics.ts,
 * rendered here): the heartbeat and busy time per TaskManager (`ClusterName`, `TaskId` = the
 * ECS task id) and for the whole service (`ClusterName`, `ServiceName`), and the source's
 * throughput and backlog for the whole service, which is what the `flink-prometheus` metric
 * preset and the `flink-pending-records` backlog preset query.
 *
 * The TaskManager service has no DesiredCount in the template: CloudFormation starts it with
 * one task and never resets the count on a later deploy; the autoscaler owns it.
 *
 * The VPC uses the stack's availability zones: in a stack with a concrete environment that is
 * a context lookup unless the stack overrides `availabilityZones` (DemoClusterStack does).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cloudmap from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import {
  DEFAULT_SCRAPE_INTERVAL_SECONDS,
  flinkMetricsDefinition,
  FLINK_PROMETHEUS_PORT as PROMETHEUS_PORT,
  prometheusLogGroupName,
  renderCloudWatchAgentConfig,
  renderPrometheusConfig,
} from '../../lib/core/flink-metrics.js';
import { acknowledge } from '../acknowledge.js';

/**
 * The Flink release of the demo cluster: the one the playground's real cluster runs
 * (playground/flink/flink-version.json, which the product cannot import: the playground
 * depends on the product, never the reverse). test/infra/demo-cluster.test.ts fails when the
 * two differ, so they move together.
 */
export const DEMO_FLINK_VERSION = '2.2.1';

export const DEMO_DEFAULTS = {
  flinkImage: `flink:${DEMO_FLINK_VERSION}-java17`,
  cloudWatchAgentImage: 'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300064.0b1337',
  jobClass: 'org.apache.flink.streaming.examples.statemachine.StateMachineExample',
  jobJar: '/opt/flink/examples/streaming/StateMachineExample.jar',
} as const;

export interface DemoFlinkClusterProps {
  /** ECS cluster name: the config's `ecs.cluster`. */
  readonly clusterName: string;
  /** TaskManager service name: the config's `ecs.service`. */
  readonly taskManagerServiceName: string;
  /**
   * Task slots per TaskManager: the config's `slotsPerTaskManager`.
   * @default 1
   */
  readonly slotsPerTaskManager?: number;
  /**
   * The Flink image (Docker Hub official image, with the Prometheus reporter plugin).
   * @default 'flink:2.2.1-java17' (DEMO_FLINK_VERSION)
   */
  readonly flinkImage?: string;
  /**
   * The CloudWatch agent image of the metrics sidecar.
   * @default 'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300064.0b1337'
   */
  readonly cloudWatchAgentImage?: string;
  /**
   * The VPC; the tasks run in its private subnets.
   * @default a new VPC over two availability zones with one NAT gateway and flow logs
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Retention of the container logs, the Prometheus EMF logs and the VPC flow logs.
   * @default logs.RetentionDays.ONE_WEEK
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How often the sidecar scrapes the TaskManager: the autoscaler config's
   * `metrics.scrapeIntervalSeconds` must say the same.
   * @default 30 seconds
   */
  readonly scrapeInterval?: Duration;
}

function assertPositiveInteger(path: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`DemoFlinkCluster ${path}: ${field}: must be a whole number of at least 1, got ${value}`);
  }
}

export class DemoFlinkCluster extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly jobManagerService: ecs.FargateService;
  readonly taskManagerService: ecs.FargateService;
  /** The JobManager's DNS name inside the VPC (Cloud Map). */
  readonly jobManagerHost: string;

  constructor(scope: Construct, id: string, props: DemoFlinkClusterProps) {
    super(scope, id);
    const slots = props.slotsPerTaskManager ?? 1;
    assertPositiveInteger(this.node.path, 'slotsPerTaskManager', slots);
    const flinkImage = ecs.ContainerImage.fromRegistry(props.flinkImage ?? DEMO_DEFAULTS.flinkImage);
    const agentImage = ecs.ContainerImage.fromRegistry(
      props.cloudWatchAgentImage ?? DEMO_DEFAULTS.cloudWatchAgentImage,
    );
    const retention = props.logRetention ?? logs.RetentionDays.ONE_WEEK;
    const scrapeSeconds = (
      props.scrapeInterval ?? Duration.seconds(DEFAULT_SCRAPE_INTERVAL_SECONDS)
    ).toSeconds();

    // ------------------------------------------------------------ network
    this.vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
        flowLogs: {
          all: {
            destination: ec2.FlowLogDestination.toCloudWatchLogs(
              new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
            ),
            trafficType: ec2.FlowLogTrafficType.ALL,
          },
        },
      });
    const securityGroup = new ec2.SecurityGroup(this, 'FlinkSecurityGroup', {
      vpc: this.vpc,
      description: 'Flink JobManager and TaskManagers: traffic among themselves only',
      allowAllOutbound: true,
    });
    securityGroup.addIngressRule(
      securityGroup,
      ec2.Port.allTcp(),
      'Flink RPC, blob and data traffic between the JobManager and the TaskManagers',
    );

    // ------------------------------------------------------------ cluster
    const namespaceName = `${props.clusterName}.local`;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      defaultCloudMapNamespace: {
        name: namespaceName,
        type: cloudmap.NamespaceType.DNS_PRIVATE,
        vpc: this.vpc,
      },
    });
    this.jobManagerHost = `jobmanager.${namespaceName}`;

    const containerLogs = new logs.LogGroup(this, 'ContainerLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The CloudWatch agent writes Prometheus metrics as EMF into this log group.
    const prometheusLogs = new logs.LogGroup(this, 'PrometheusLogs', {
      logGroupName: prometheusLogGroupName(props.clusterName),
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const flinkProperties = (lines: readonly string[]): string =>
      [
        `jobmanager.rpc.address: ${this.jobManagerHost}`,
        'jobmanager.bind-host: 0.0.0.0',
        'taskmanager.bind-host: 0.0.0.0',
        'rest.bind-address: 0.0.0.0',
        'scheduler-mode: reactive',
        `taskmanager.numberOfTaskSlots: ${slots}`,
        'execution.checkpointing.interval: 60s',
        'metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
        `metrics.reporter.prom.port: ${PROMETHEUS_PORT}`,
        ...lines,
      ].join('\n');
    const tcpHealthCheck = (port: number): ecs.HealthCheck => ({
      command: ['CMD-SHELL', `bash -c '</dev/tcp/127.0.0.1/${port}' || exit 1`],
      interval: Duration.seconds(15),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(90),
    });

    // ------------------------------------------------------------ JobManager
    const jobManagerTask = new ecs.FargateTaskDefinition(this, 'JobManagerTask', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    jobManagerTask.addContainer('jobmanager', {
      image: flinkImage,
      essential: true,
      // Application mode: the example job's jar goes to usrlib, then the entrypoint starts it.
      command: [
        'bash',
        '-c',
        `mkdir -p /opt/flink/usrlib && cp ${DEMO_DEFAULTS.jobJar} /opt/flink/usrlib/ && exec /docker-entrypoint.sh standalone-job --job-classname ${DEMO_DEFAULTS.jobClass}`,
      ],
      environment: { FLINK_PROPERTIES: flinkProperties(['jobmanager.memory.process.size: 1600m']) },
      portMappings: [6123, 6124, 8081, PROMETHEUS_PORT].map((containerPort) => ({ containerPort })),
      logging: ecs.LogDrivers.awsLogs({ logGroup: containerLogs, streamPrefix: 'jobmanager' }),
      healthCheck: tcpHealthCheck(8081),
    });
    this.jobManagerService = new ecs.FargateService(this, 'JobManagerService', {
      cluster: this.cluster,
      serviceName: 'flink-jobmanager',
      taskDefinition: jobManagerTask,
      desiredCount: 1,
      // A single JobManager: replace it in place.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      cloudMapOptions: {
        name: 'jobmanager',
        dnsRecordType: cloudmap.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    // ------------------------------------------------------------ TaskManagers
    const taskManagerTask = new ecs.FargateTaskDefinition(this, 'TaskManagerTask', {
      cpu: 1024,
      memoryLimitMiB: 3072,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    // Flink's TaskManager resource id (the Prometheus label `tm_id`) becomes the ECS task id,
    // read from the task metadata endpoint, so that metrics name the task the autoscaler sees.
    const taskManagerScript = [
      'META=$(curl -fsS "$ECS_CONTAINER_METADATA_URI_V4/task" 2>/dev/null || wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task")',
      `TASK_ID=$(printf '%s' "$META" | sed -nE 's/.*"TaskARN": *"[^"]*\\/([^"\\/]+)".*/\\1/p')`,
      'if [ -z "$TASK_ID" ]; then echo "cannot read the ECS task id from the task metadata endpoint" >&2; exit 1; fi',
      `export FLINK_PROPERTIES="$FLINK_PROPERTIES"$'\\n'"taskmanager.resource-id: $TASK_ID"`,
      'exec /docker-entrypoint.sh taskmanager',
    ].join('\n');
    taskManagerTask.addContainer('taskmanager', {
      image: flinkImage,
      essential: true,
      command: ['bash', '-c', taskManagerScript],
      environment: { FLINK_PROPERTIES: flinkProperties(['taskmanager.memory.process.size: 2304m']) },
      memoryReservationMiB: 2560,
      portMappings: [6121, 6122, PROMETHEUS_PORT].map((containerPort) => ({ containerPort })),
      logging: ecs.LogDrivers.awsLogs({ logGroup: containerLogs, streamPrefix: 'taskmanager' }),
      healthCheck: tcpHealthCheck(PROMETHEUS_PORT),
    });

    // The agent's configuration, rendered from the one definition of the Flink metrics.
    const metricsDefinition = flinkMetricsDefinition({
      clusterName: props.clusterName,
      serviceName: props.taskManagerServiceName,
      scrapeIntervalSeconds: scrapeSeconds,
    });
    const prometheusConfig = renderPrometheusConfig(metricsDefinition);
    const agentConfig = renderCloudWatchAgentConfig(metricsDefinition, {
      logGroupName: prometheusLogGroupName(props.clusterName),
      prometheusConfigPath: 'env:PROMETHEUS_CONFIG_CONTENT',
    });
    taskManagerTask.addContainer('cloudwatch-agent', {
      image: agentImage,
      // Metrics stop when the sidecar stops; the autoscaler's health check then notices.
      essential: false,
      memoryReservationMiB: 256,
      environment: {
        CW_CONFIG_CONTENT: JSON.stringify(agentConfig),
        PROMETHEUS_CONFIG_CONTENT: prometheusConfig,
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: containerLogs, streamPrefix: 'cloudwatch-agent' }),
    });
    prometheusLogs.grantWrite(taskManagerTask.taskRole);
    prometheusLogs.grant(taskManagerTask.taskRole, 'logs:DescribeLogStreams');

    this.taskManagerService = new ecs.FargateService(this, 'TaskManagerService', {
      cluster: this.cluster,
      serviceName: props.taskManagerServiceName,
      taskDefinition: taskManagerTask,
      // No desiredCount: a redeploy must not reset what the autoscaler set.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.taskManagerService.node.addDependency(this.jobManagerService);

    for (const task of [jobManagerTask, taskManagerTask]) {
      acknowledge(
        task,
        'AwsSolutions-ECS2',
        'The environment holds Flink and CloudWatch agent settings only (addresses, ports, slots, metric names); nothing secret.',
      );
    }
  }
}
