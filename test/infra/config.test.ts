/**
 * A bad config or bad props fail synth with a sentence naming the field; the app reads its
 * config file, account, region and flags from context and environment with explicit defaults.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  DEFAULT_ACCOUNT,
  DEFAULT_REGION,
  loadConfigFile,
  readAppOptions,
} from '../../infra/app-options';
import { AutoscalerTable } from '../../infra/constructs/autoscaler-table';
import { FlinkAutoscaler, type FlinkAutoscalerProps } from '../../infra/constructs/flink-autoscaler';
import { type AppConfigInput, parseConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { BASE_CONFIG, cdkJsonContext, prebuiltCode, TEST_ENV, testApp } from './helpers';

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;

function autoscaler(props: Partial<FlinkAutoscalerProps> & { config: AppConfigInput }): FlinkAutoscaler {
  const stack = new Stack(testApp(), 'Test', { env: TEST_ENV });
  const table = new AutoscalerTable(stack, 'State').table;
  return new FlinkAutoscaler(stack, 'Autoscaler', { table, code: prebuiltCode(), ...props });
}

/** A config the schema rejects; typed as input so the construct, not the compiler, must catch it. */
function badConfig(patch: Record<string, unknown>): AppConfigInput {
  return { ...BASE_CONFIG, ...patch } as AppConfigInput;
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('Construct: FlinkAutoscaler config validation', () => {
  it.each([
    [
      'min above max',
      { policy: { minTaskManagers: 9, maxTaskManagers: 3 } },
      /policy\.minTaskManagers: must not exceed policy\.maxTaskManagers \(3\)/,
    ],
    ['a missing field', { partitions: undefined }, /partitions: /],
    ['an unknown field', { policyy: {} }, /policyy/],
    ['a bad appId', { appId: 'orders/eu' }, /appId: must be 1-64 letters, digits/],
    [
      'a schedule that is not whole minutes',
      { scheduleSeconds: 90 },
      /scheduleSeconds: must be a whole number of minutes/,
    ],
  ])('fails synth on %s with a sentence naming the field', (_name, patch, expected) => {
    const error = catchError(() => autoscaler({ config: badConfig(patch) }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^FlinkAutoscaler Test\/Autoscaler: /);
    expect(error.message).toMatch(expected);
  });

  it.each([
    ['memorySize', { memorySize: 64 }, /memorySize: must be a whole number of MB from 128 to 10240, got 64/],
    ['retryAttempts', { retryAttempts: 3 }, /retryAttempts: must be 0, 1 or 2, got 3/],
    ['maxEventAge', { maxEventAge: Duration.seconds(30) }, /maxEventAge: must be from 1 minute to 6 hours/],
    [
      'scalerTimeout',
      { scalerTimeout: Duration.seconds(60) },
      /scalerTimeout: must be shorter than the schedule period/,
    ],
    [
      'failoverReservedConcurrency',
      { failoverReservedConcurrency: 0 },
      /failoverReservedConcurrency: must be a whole number/,
    ],
    [
      'scalerReservedConcurrency',
      { scalerReservedConcurrency: 1.5 },
      /scalerReservedConcurrency: must be a whole number/,
    ],
    [
      'taskWriteScope',
      { taskWriteScope: 'task' as 'service' },
      /taskWriteScope: must be 'service' or 'cluster', got task/,
    ],
  ])('fails synth on a bad %s prop, naming it', (_name, props, expected) => {
    expect(() => autoscaler({ config: BASE_CONFIG, ...props })).toThrow(expected);
  });

  describe('the TaskManager service must tag its tasks for the default task-write scope', () => {
    function withService(enableECSManagedTags: boolean, props: Partial<FlinkAutoscalerProps> = {}) {
      const stack = new Stack(testApp(), 'Test', { env: TEST_ENV });
      const cluster = new ecs.Cluster(stack, 'Cluster', { clusterName: 'flink' });
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
      taskDefinition.addContainer('tm', { image: ecs.ContainerImage.fromRegistry('flink:1.20') });
      const service = new ecs.FargateService(stack, 'TaskManagers', {
        cluster,
        serviceName: 'taskmanager',
        taskDefinition,
        enableECSManagedTags,
      });
      const table = new AutoscalerTable(stack, 'State').table;
      return () =>
        new FlinkAutoscaler(stack, 'Autoscaler', {
          config: BASE_CONFIG,
          table,
          service,
          code: prebuiltCode(),
          ...props,
        });
    }

    it('fails synth, in a sentence, for a service with ECS managed tags off', () => {
      expect(withService(false)).toThrow(
        /service: the TaskManager service Test\/TaskManagers has enableECSManagedTags off, .*aws:ecs:serviceName.*taskWriteScope: 'cluster'/,
      );
    });

    it('accepts it with managed tags on, or with the cluster-wide scope', () => {
      expect(withService(true)).not.toThrow();
      const cluster = Template.fromStack(Stack.of(withService(false, { taskWriteScope: 'cluster' })()));
      cluster.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'WriteClusterTasks',
              Action: ['ecs:StopTask', 'ecs:UpdateTaskProtection'],
              Condition: { ArnEquals: { 'ecs:cluster': Match.anyValue() } },
            }),
          ]),
        },
      });
    });
  });

  it('rejects a cluster whose name differs from the config', () => {
    const stack = new Stack(testApp(), 'Test', { env: TEST_ENV });
    const cluster = ecs.Cluster.fromClusterArn(
      stack,
      'Other',
      'arn:aws:ecs:eu-west-1:123456789012:cluster/other',
    );
    const table = new AutoscalerTable(stack, 'State').table;
    expect(
      () =>
        new FlinkAutoscaler(stack, 'Autoscaler', {
          config: BASE_CONFIG,
          table,
          cluster,
          code: prebuiltCode(),
        }),
    ).toThrow(/ecs\.cluster: the config names "flink" but the construct was given "other"; they must match/);
  });

  it('follows a cluster known only at deploy time: the functions get its name from CloudFormation', () => {
    const stack = new Stack(testApp(), 'Test', { env: TEST_ENV });
    const cluster = ecs.Cluster.fromClusterArn(stack, 'Shared', Fn.importValue('SharedFlinkClusterArn'));
    const table = new AutoscalerTable(stack, 'State').table;
    new FlinkAutoscaler(stack, 'Autoscaler', { config: BASE_CONFIG, table, cluster, code: prebuiltCode() });
    const template = Template.fromStack(stack);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      const config: unknown = fn.Properties.Environment.Variables.AUTOSCALER_CONFIG;
      expect(JSON.stringify(config)).toContain('SharedFlinkClusterArn');
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { clusterArn: [{ 'Fn::ImportValue': 'SharedFlinkClusterArn' }] } },
    });
  });

  it('exposes the config with defaults applied', () => {
    const construct = autoscaler({ config: BASE_CONFIG });
    expect(construct.config).toEqual(parseConfig(BASE_CONFIG));
    expect(construct.config.policy.targetUtilization).toBe(0.8);
  });
});

describe('Function: readAppOptions', () => {
  const context =
    (values: Record<string, unknown>) =>
    (key: string): unknown =>
      values[key];
  const exampleFile = 'infra/example-config.json';

  it('reads the config file named in cdk.json and falls back to explicit offline defaults', () => {
    const options = readAppOptions(context(cdkJsonContext()), {}, PROJECT_ROOT);
    expect(options.env).toEqual({ account: DEFAULT_ACCOUNT, region: DEFAULT_REGION });
    expect(options.demoCluster).toBe(false);
    expect(options.config.appId).toBe('flink-demo');
    expect(options.alarmTopicArn).toBeUndefined();
  });

  it('takes account and region from the CLI environment, and context over both', () => {
    const env = {
      CDK_DEFAULT_ACCOUNT: '111122223333',
      CDK_DEFAULT_REGION: 'eu-central-1',
      AWS_REGION: 'us-west-2',
    };
    const fromEnv = readAppOptions(context({ [CONTEXT_KEYS.configFile]: exampleFile }), env, PROJECT_ROOT);
    expect(fromEnv.env).toEqual({ account: '111122223333', region: 'eu-central-1' });
    const fromContext = readAppOptions(
      context({
        [CONTEXT_KEYS.configFile]: exampleFile,
        [CONTEXT_KEYS.account]: '444455556666',
        [CONTEXT_KEYS.region]: 'ap-southeast-2',
        [CONTEXT_KEYS.demoCluster]: 'true',
        [CONTEXT_KEYS.alarmTopicArn]: 'arn:aws:sns:ap-southeast-2:444455556666:ops',
      }),
      env,
      PROJECT_ROOT,
    );
    expect(fromContext).toMatchObject({
      env: { account: '444455556666', region: 'ap-southeast-2' },
      demoCluster: true,
      alarmTopicArn: 'arn:aws:sns:ap-southeast-2:444455556666:ops',
    });
  });

  it.each([
    [{}, /context flink-ecs-autoscaler:configFile: is not set/],
    [
      { [CONTEXT_KEYS.configFile]: exampleFile, [CONTEXT_KEYS.demoCluster]: 'yes' },
      /context flink-ecs-autoscaler:demoCluster: must be true or false/,
    ],
    [
      { [CONTEXT_KEYS.configFile]: exampleFile, [CONTEXT_KEYS.account]: '12345' },
      /account: must be a 12-digit AWS account id/,
    ],
  ])('rejects bad context %#', (values, expected) => {
    expect(() => readAppOptions(context(values), {}, PROJECT_ROOT)).toThrow(expected);
  });
});

describe('Function: loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autoscaler-config-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('names the file and the field of a bad config', () => {
    const path = write('bad.json', JSON.stringify({ ...BASE_CONFIG, policy: { targetUtilization: 1.5 } }));
    expect(() => loadConfigFile(path)).toThrow(
      new RegExp(`^${path}: invalid autoscaler config: policy\\.targetUtilization: `),
    );
  });

  it('names the file of invalid JSON and of a missing file', () => {
    expect(() => loadConfigFile(write('broken.json', '{"appId": '))).toThrow(
      /broken\.json: is not valid JSON/,
    );
    expect(() => loadConfigFile(join(dir, 'absent.json'))).toThrow(
      /absent\.json: cannot read the autoscaler config file/,
    );
  });

  it('accepts the example config, which targets the demo cluster by the names the demo creates', () => {
    const config = loadConfigFile(join(PROJECT_ROOT, 'infra/example-config.json'));
    expect(config.ecs).toEqual({ cluster: 'flink-demo', service: 'flink-taskmanager' });
    expect(config.metrics).toMatchObject({
      preset: 'flink-prometheus',
      dimensions: { ClusterName: 'flink-demo' },
    });
    const raw: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, 'infra/example-config.json'), 'utf8'));
    expect(parseConfig(raw)).toEqual(config);
  });
});
