/**
 * The construct as a CDK user wires it next to a TaskManager service of their own (issue 13):
 * what it takes from the ECS constructs and alarms it is given, its own state table, and the
 * Lambda code it picks (a checkout's entries, or the npm package's bundles).
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import { functionCode } from '../../infra/constructs/flink-autoscaler';
import { FlinkAutoscaler, type FlinkAutoscalerProps } from '../../infra/index';
import { BASE_CONFIG, prebuiltCode, TEST_ENV, testApp } from './helpers';

function userStack() {
  const app = testApp();
  const stack = new Stack(app, 'Users', { env: TEST_ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'orders-flink' });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Tm');
  taskDefinition.addContainer('tm', { image: ecs.ContainerImage.fromRegistry('flink:2.2.1-java17') });
  const service = new ecs.FargateService(stack, 'TaskManagers', {
    cluster,
    taskDefinition,
    serviceName: 'orders-taskmanager',
    enableECSManagedTags: true,
  });
  const alarm = new cloudwatch.Alarm(stack, 'Lag', {
    alarmName: 'orders-lag',
    metric: new cloudwatch.Metric({ namespace: 'AWS/Kafka', metricName: 'SumOffsetLag' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  return { app, stack, cluster, service, alarm };
}

const { ecs: _ecs, alarms: _alarms, ...configWithoutEcs } = BASE_CONFIG;

describe('Construct: FlinkAutoscaler in a CDK user’s app', () => {
  it('takes the cluster and service names from the constructs, adds the given alarms, and creates its table', () => {
    const { stack, cluster, service, alarm } = userStack();
    const autoscaler = new FlinkAutoscaler(stack, 'Autoscaler', {
      cluster,
      service,
      alarms: [alarm],
      config: configWithoutEcs,
      code: prebuiltCode(),
    });
    const template = Template.fromStack(stack);
    const alarmRef = stack.resolve(alarm.alarmName);
    expect(autoscaler.config.alarms.map((a) => stack.resolve(a))).toEqual([alarmRef]);
    expect(stack.resolve(autoscaler.config.ecs)).toEqual({
      cluster: stack.resolve(cluster.clusterName),
      service: stack.resolve(service.serviceName),
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { alarmName: [alarmRef] } }),
    });
    const env = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { AUTOSCALER_CONFIG: Match.anyValue() } } },
    });
    expect(Object.keys(env)).toHaveLength(2);
  });

  it('fails at synth, naming the field, when neither the config nor the props name the ECS service', () => {
    const { stack, cluster } = userStack();
    const props: FlinkAutoscalerProps = { cluster, config: configWithoutEcs, code: prebuiltCode() };
    expect(() => new FlinkAutoscaler(stack, 'Autoscaler', props)).toThrow(
      /Users\/Autoscaler: config\.ecs: required unless/,
    );
  });

  it.each([
    { name: 'the code prop wins', given: true, files: [], kind: 'given' },
    {
      name: 'a checkout: the entry, bundled',
      given: false,
      files: ['/repo/functions/scaler.ts'],
      kind: 'entry',
    },
    { name: 'the npm package: its bundle', given: false, files: ['bundle'], kind: 'given' },
  ])('function code: $name', ({ given, files, kind }) => {
    const exists = (f: string) =>
      files.some((x) => (x === 'bundle' ? f.endsWith('dist/lambda/scaler/index.mjs') : f === x));
    const code = given ? prebuiltCode().scaler : undefined;
    expect(functionCode('A', code, 'scaler', '/repo/functions/scaler.ts', exists).kind).toBe(kind);
  });

  it('function code: neither an entry nor a bundle fails at synth, naming both places', () => {
    expect(() => functionCode('A', undefined, 'scaler', '/nowhere/scaler.ts', () => false)).toThrow(
      /A: the scaler function has neither its entry \(\/nowhere\/scaler\.ts\) nor a bundle in .*dist\/lambda\/scaler/,
    );
  });

  it('a cluster of another stack: the task actions use `*` limited to that cluster by ecs:cluster', () => {
    const { app, cluster, service } = userStack();
    const control = new Stack(app, 'Control', { env: TEST_ENV });
    new FlinkAutoscaler(control, 'Autoscaler', {
      cluster,
      service,
      config: configWithoutEcs,
      code: prebuiltCode(),
    });
    const policies = Template.fromStack(control).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (
          p as {
            Properties: {
              PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
            };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const stops = statements.filter((s) => JSON.stringify(s.Action).includes('ecs:StopTask'));
    expect(stops).toHaveLength(1);
    expect(stops[0]?.Resource).toBe('*');
    expect(JSON.stringify(stops[0]?.Condition)).toContain('ecs:cluster');
    expect(JSON.stringify(stops[0]?.Condition)).toContain('aws:ResourceTag/aws:ecs:serviceName');
  });
});
