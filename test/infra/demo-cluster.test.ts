/**
 * The optional demo Flink cluster: reactive-mode Flink on Fargate whose TaskManagers publish
 * exactly the metrics the `flink-prometheus` preset queries, and whose desired count a
 * redeploy never resets.
 */

import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, DEMO_FLINK_VERSION } from '../../infra/constructs/demo-flink-cluster';
import {
  FLINK_DIMENSIONS,
  FLINK_METRICS,
  flinkMetricsDefinition,
  prometheusLogGroupName,
  renderCloudWatchAgentConfig,
  renderPrometheusConfig,
} from '../../lib/core/flink-metrics';
import { BASE_CONFIG, type BuiltApp, buildApp, templateOf } from './helpers';

interface ContainerDefinition {
  Name: string;
  Command?: string[];
  Environment?: { Name: string; Value: unknown }[];
  Essential?: boolean;
  LogConfiguration?: { LogDriver: string };
  HealthCheck?: unknown;
}

let built: BuiltApp;
let assembly: CloudAssembly;
let demo: Template;
let taskManagerContainers: ContainerDefinition[];

function env(container: ContainerDefinition | undefined, name: string): string {
  const value = container?.Environment?.find((e) => e.Name === name)?.Value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

beforeAll(() => {
  built = buildApp({ demoCluster: true });
  assembly = built.app.synth();
  const stack = built.stacks.demo;
  if (!stack) throw new Error('the demo stack was not created');
  demo = templateOf(stack);
  const taskDefinitions = Object.values(demo.findResources('AWS::ECS::TaskDefinition'));
  const withAgent = taskDefinitions.find((t) =>
    (t.Properties.ContainerDefinitions as ContainerDefinition[]).some((c) => c.Name === 'cloudwatch-agent'),
  );
  taskManagerContainers = (withAgent?.Properties.ContainerDefinitions ?? []) as ContainerDefinition[];
});

describe('Stack: demo cluster', () => {
  it('is created only behind the flag, and deployed before the control plane', () => {
    expect(buildApp().stacks.demo).toBeUndefined();
    expect(built.stacks.controlPlane.dependencies).toContain(built.stacks.demo);
  });

  it('synthesizes without context lookups, so synth stays offline', () => {
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  it('runs the cluster the config names, with Container Insights', () => {
    demo.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: BASE_CONFIG.ecs.cluster,
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
  });

  it('leaves the TaskManager desired count out of the template, so a redeploy never resets it', () => {
    demo.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: BASE_CONFIG.ecs.service,
      LaunchType: 'FARGATE',
      DesiredCount: Match.absent(),
    });
    const services = Object.values(demo.findResources('AWS::ECS::Service'));
    const taskManagers = services.find((s) => s.Properties.ServiceName === BASE_CONFIG.ecs.service);
    expect(taskManagers?.Properties).not.toHaveProperty('DesiredCount');
  });

  it('registers one JobManager under a Cloud Map name the TaskManagers connect to', () => {
    demo.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'flink.local' });
    demo.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'jobmanager' });
    demo.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'flink-jobmanager', DesiredCount: 1 });
    expect(
      env(
        taskManagerContainers.find((c) => c.Name === 'taskmanager'),
        'FLINK_PROPERTIES',
      ),
    ).toContain('jobmanager.rpc.address: jobmanager.flink.local');
  });

  it('runs Flink in reactive mode with the slots of the config and the Prometheus reporter', () => {
    const properties = env(
      taskManagerContainers.find((c) => c.Name === 'taskmanager'),
      'FLINK_PROPERTIES',
    );
    expect(properties).toContain('scheduler-mode: reactive');
    expect(properties).toContain(`taskmanager.numberOfTaskSlots: ${BASE_CONFIG.slotsPerTaskManager}`);
    expect(properties).toContain(
      'metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
    );
  });

  it('names each TaskManager after its ECS task id, so its metrics name the task the autoscaler sees', () => {
    const script = taskManagerContainers.find((c) => c.Name === 'taskmanager')?.Command?.join(' ') ?? '';
    expect(script).toContain('ECS_CONTAINER_METADATA_URI_V4');
    expect(script).toContain('taskmanager.resource-id: $TASK_ID');
    expect(script).toContain('exec /docker-entrypoint.sh taskmanager');
  });

  it('runs the agent sidecar with the configuration rendered from the one definition of the Flink metrics', () => {
    // Prepare
    const agent = taskManagerContainers.find((c) => c.Name === 'cloudwatch-agent');
    const definition = flinkMetricsDefinition({
      clusterName: BASE_CONFIG.ecs.cluster,
      serviceName: BASE_CONFIG.ecs.service,
    });
    // Assess
    expect(agent?.Essential).toBe(false);
    expect(JSON.parse(env(agent, 'CW_CONFIG_CONTENT'))).toEqual(
      renderCloudWatchAgentConfig(definition, {
        logGroupName: prometheusLogGroupName(BASE_CONFIG.ecs.cluster),
        prometheusConfigPath: 'env:PROMETHEUS_CONFIG_CONTENT',
      }),
    );
    expect(env(agent, 'PROMETHEUS_CONFIG_CONTENT')).toBe(renderPrometheusConfig(definition));
  });

  it('scrapes the Prometheus port the TaskManager exposes, keeps only the defined series and names each TaskManager by its task id', () => {
    const agent = taskManagerContainers.find((c) => c.Name === 'cloudwatch-agent');
    const prometheus = JSON.parse(env(agent, 'PROMETHEUS_CONFIG_CONTENT'));
    const job = prometheus.scrape_configs[0];
    const properties = env(
      taskManagerContainers.find((c) => c.Name === 'taskmanager'),
      'FLINK_PROPERTIES',
    );
    const port = /metrics\.reporter\.prom\.port: (\d+)/.exec(properties)?.[1];
    expect(job.static_configs[0].targets).toEqual([`localhost:${port}`]);
    expect(job.static_configs[0].labels).toEqual({
      [FLINK_DIMENSIONS.clusterName]: BASE_CONFIG.ecs.cluster,
      [FLINK_DIMENSIONS.serviceName]: BASE_CONFIG.ecs.service,
    });
    expect(job.metric_relabel_configs).toContainEqual({
      source_labels: ['tm_id'],
      target_label: FLINK_DIMENSIONS.taskId,
    });
    const keep = job.metric_relabel_configs.find((r: { action?: string }) => r.action === 'keep');
    expect(keep.regex.split('|').sort()).toEqual(Object.values(FLINK_METRICS).sort());
    expect(prometheus.global.scrape_interval).toBe('30s');
  });

  it('logs every container with a retention, and health-checks the Flink containers', () => {
    for (const container of taskManagerContainers)
      expect(container.LogConfiguration?.LogDriver).toBe('awslogs');
    expect(taskManagerContainers.find((c) => c.Name === 'taskmanager')?.HealthCheck).toBeDefined();
    for (const group of Object.values(demo.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(7);
    }
    demo.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/ecs/containerinsights/flink/prometheus',
    });
  });

  it('lets Flink traffic in only from Flink tasks, in private subnets with flow logs', () => {
    const ingress = Object.values(demo.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.Properties.SourceSecurityGroupId).toBeDefined();
    for (const group of Object.values(demo.findResources('AWS::EC2::SecurityGroup'))) {
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    }
    demo.resourceCountIs('AWS::EC2::FlowLog', 1);
    for (const service of Object.values(demo.findResources('AWS::ECS::Service'))) {
      expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    }
  });
});

describe('Constant: DEMO_FLINK_VERSION', () => {
  it('is the Flink release the playground runs for real (playground/flink/flink-version.json), and the default image carries it', () => {
    const playground = JSON.parse(
      readFileSync(new URL('../../playground/flink/flink-version.json', import.meta.url), 'utf8'),
    ) as { flink: string };
    expect(DEMO_FLINK_VERSION).toBe(playground.flink);
    expect(DEMO_DEFAULTS.flinkImage).toBe(`flink:${playground.flink}-java17`);
  });
});
