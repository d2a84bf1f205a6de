/**
 * Template assertions on the state and control-plane stacks: triggers, function settings,
 * failure handling, logging, operations. The app is synthesized once for the file.
 */

import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoscalerTable } from '../../infra/constructs/autoscaler-table';
import { FlinkAutoscaler } from '../../infra/constructs/flink-autoscaler';
import { BASE_CONFIG, buildApp, prebuiltCode, TEST_ENV, templateOf, testApp } from './helpers';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let state: Template;
let controlPlane: Template;
let withTopic: Template;

function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function logicalIdOf(template: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found).toHaveLength(1);
  return found[0] ?? '';
}

beforeAll(() => {
  const built = buildApp();
  state = templateOf(built.stacks.state);
  controlPlane = templateOf(built.stacks.controlPlane);
  withTopic = templateOf(
    buildApp({ alarmTopicArn: `arn:aws:sns:${TEST_ENV.region}:${TEST_ENV.account}:ops` }).stacks.controlPlane,
  );
});

describe('Stack: state', () => {
  it('keeps one on-demand table keyed pk/sk with TTL on ttl and point-in-time recovery', () => {
    state.resourceCountIs('AWS::DynamoDB::Table', 1);
    state.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('retains the table when it leaves the stack', () => {
    state.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('holds no function: the state is apart from the stateless part', () => {
    state.resourceCountIs('AWS::Lambda::Function', 0);
  });
});

describe('Stack: control plane', () => {
  it('runs two functions on the newest Node.js runtime, arm64, traced, with explicit memory and timeout', () => {
    const functions = resourcesOfType(controlPlane, 'AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(2);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 512,
      });
      expect(typeof fn.Properties.Timeout).toBe('number');
    }
    controlPlane.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('autoscaler'),
      Timeout: 50,
    });
    controlPlane.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('failover'),
      Timeout: 60,
    });
  });

  it('issue 11 item 7: reserves no concurrency by default (a reservation fails deploys in accounts under 100 + it)', () => {
    const functions = Object.values(resourcesOfType(controlPlane, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('reserves concurrency only when asked (scalerReservedConcurrency, failoverReservedConcurrency)', () => {
    const stack = new Stack(testApp(), 'Reserved', { env: TEST_ENV });
    new FlinkAutoscaler(stack, 'Autoscaler', {
      config: BASE_CONFIG,
      table: new AutoscalerTable(stack, 'State').table,
      code: prebuiltCode(),
      scalerReservedConcurrency: 2,
      failoverReservedConcurrency: 5,
    });
    const reserved = templateOf(stack);
    reserved.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('autoscaler'),
      ReservedConcurrentExecutions: 2,
    });
    reserved.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('failover'),
      ReservedConcurrentExecutions: 5,
    });
  });

  it('hands both functions the validated config, the table name and the Powertools settings', () => {
    const functions = Object.values(resourcesOfType(controlPlane, 'AWS::Lambda::Function'));
    for (const fn of functions) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'flink-ecs-autoscaler',
        POWERTOOLS_METRICS_NAMESPACE: 'FlinkEcsAutoscaler',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        TABLE_NAME: { 'Fn::ImportValue': expect.stringContaining('State') },
      });
      const config: unknown = JSON.parse(String(variables.AUTOSCALER_CONFIG));
      expect(config).toMatchObject({
        appId: BASE_CONFIG.appId,
        ecs: BASE_CONFIG.ecs,
        policy: { minTaskManagers: 2, maxTaskManagers: 12, mode: 'rate' },
        scheduleSeconds: 60,
      });
    }
  });

  it('gives each function its own log group with a retention, and logs JSON to it', () => {
    const logGroups = resourcesOfType(controlPlane, 'AWS::Logs::LogGroup');
    expect(Object.keys(logGroups)).toHaveLength(2);
    for (const group of Object.values(logGroups)) expect(group.Properties.RetentionInDays).toBe(30);
    const functions = Object.values(resourcesOfType(controlPlane, 'AWS::Lambda::Function'));
    const used = functions.map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(used)).toEqual(new Set(Object.keys(logGroups)));
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    }
  });

  it('bounds asynchronous invocations and sends failures to the dead-letter queue', () => {
    const queue = logicalIdOf(controlPlane, 'AWS::SQS::Queue', {});
    const configs = resourcesOfType(controlPlane, 'AWS::Lambda::EventInvokeConfig');
    expect(Object.keys(configs)).toHaveLength(2);
    for (const config of Object.values(configs)) {
      expect(config.Properties).toMatchObject({
        MaximumEventAgeInSeconds: 120,
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
    }
    controlPlane.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('schedules the scaler and the failover reconcile every minute', () => {
    const functions = Object.keys(resourcesOfType(controlPlane, 'AWS::Lambda::Function'));
    const rule = controlPlane.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(1 minute)' },
    }) as Resources;
    const [schedule, ...others] = Object.values(rule);
    expect(others).toHaveLength(0);
    const targets = schedule?.Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] } }[];
    expect(new Set(targets.map((t) => t.Arn['Fn::GetAtt'][0]))).toEqual(new Set(functions));
  });

  it('gives every EventBridge target a retry policy and the dead-letter queue', () => {
    const queue = logicalIdOf(controlPlane, 'AWS::SQS::Queue', {});
    const rules = Object.values(resourcesOfType(controlPlane, 'AWS::Events::Rule'));
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      for (const target of rule.Properties.Targets as Record<string, unknown>[]) {
        expect(target).toMatchObject({
          RetryPolicy: { MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 2 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        });
      }
    }
  });

  it('evaluates now on state changes of the alarms named in the config', () => {
    const scaler = logicalIdOf(controlPlane, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('autoscaler'),
    });
    controlPlane.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: BASE_CONFIG.alarms },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [scaler, 'Arn'] } })],
    });
  });

  it('lets exactly the configured alarms invoke the scaler as an alarm action, scoped by source ARN and account', () => {
    const scaler = logicalIdOf(controlPlane, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('autoscaler'),
    });
    const permissions = Object.values(
      controlPlane.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'lambda.alarms.cloudwatch.amazonaws.com' },
      }) as Resources,
    );
    expect(permissions.map((p) => p.Properties.SourceArn).sort()).toEqual(
      BASE_CONFIG.alarms
        .map((name) => `arn:aws:cloudwatch:${TEST_ENV.region}:${TEST_ENV.account}:alarm:${name}`)
        .sort(),
    );
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        SourceAccount: TEST_ENV.account,
        FunctionName: { 'Fn::GetAtt': [scaler, 'Arn'] },
      });
    }
  });

  it('fails over on task state changes of the TaskManager service group only', () => {
    const failover = logicalIdOf(controlPlane, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('failover'),
    });
    controlPlane.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [
            `arn:aws:ecs:${TEST_ENV.region}:${TEST_ENV.account}:cluster/${BASE_CONFIG.ecs.cluster}`,
          ],
          group: [`service:${BASE_CONFIG.ecs.service}`],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [failover, 'Arn'] } })],
    });
  });

  it('is invoked only through IAM: no function URL, and every permission names its source', () => {
    controlPlane.resourceCountIs('AWS::Lambda::Url', 0);
    for (const permission of Object.values(resourcesOfType(controlPlane, 'AWS::Lambda::Permission'))) {
      expect(permission.Properties.Principal).not.toBe('*');
      expect(permission.Properties.SourceArn).toBeDefined();
      expect(permission.Properties.FunctionUrlAuthType).toBeUndefined();
    }
  });

  it('alarms on function errors, throttles, a silent scaler and dead-letter queue depth', () => {
    const names = Object.values(resourcesOfType(controlPlane, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );
    expect(names.sort()).toEqual(
      [
        'DeadLetterQueueDepth',
        'FailoverErrors',
        'FailoverThrottles',
        'ScalerErrors',
        'ScalerNotRunning',
        'ScalerThrottles',
      ].map((n) => `FlinkEcsAutoscaler-orders-${n}`),
    );
    controlPlane.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FlinkEcsAutoscaler-orders-DeadLetterQueueDepth',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
    });
    controlPlane.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FlinkEcsAutoscaler-orders-ScalerErrors',
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
    });
  });

  it('notifies the alarm topic when one is given, and nothing otherwise', () => {
    for (const alarm of Object.values(resourcesOfType(controlPlane, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
    const topic = `arn:aws:sns:${TEST_ENV.region}:${TEST_ENV.account}:ops`;
    for (const alarm of Object.values(resourcesOfType(withTopic, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
  });

  it('draws the operations dashboard from the metrics the functions emit', () => {
    const dashboards = Object.values(resourcesOfType(controlPlane, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const text of [
      'FlinkEcsAutoscaler',
      'DesiredTaskManagers',
      'RecommendedTaskManagers',
      'RunningTaskCount',
      'AverageLoad',
      'load * 1.2',
      'Decisions',
      'Reason',
      'Failovers',
      'PartitionsMoved',
      'Errors',
      'Throttles',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(text);
    }
  });

  it('outputs the names an operator needs', () => {
    controlPlane.hasOutput('ScalerFunctionName', {});
    controlPlane.hasOutput('FailoverFunctionName', {});
    controlPlane.hasOutput('DeadLetterQueueUrl', {});
    controlPlane.hasOutput('DashboardName', {});
    state.hasOutput('TableName', {});
  });
});

describe('Config without alarms', () => {
  it('creates no alarm rule and no alarm-action permission', () => {
    const template = templateOf(buildApp({ config: { ...BASE_CONFIG, alarms: [] } }).stacks.controlPlane);
    template.resourceCountIs('AWS::Events::Rule', 2);
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::Permission', {
          Properties: { Principal: 'lambda.alarms.cloudwatch.amazonaws.com' },
        }),
      ),
    ).toHaveLength(0);
  });
});
