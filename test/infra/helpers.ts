/**
 * Shared setup of the infra tests: an App with the project's cdk.json context (feature
 * flags included) and bundling skipped, a valid config, and the stacks built exactly as
 * infra/app.ts builds them. Template tests inject prebuilt function code: they check the
 * infrastructure, not the handlers (test/infra/synth.test.ts bundles the real entries).
 */
import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { addNagChecks } from '../../infra/nag';
import { type AutoscalerAppOptions, type AutoscalerStacks, addAutoscalerStacks } from '../../infra/stacks';
import { type AppConfigInput, parseConfig } from '../../lib/core/config';
import { isRecord } from '../../lib/core/values';

export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' } as const;

/** The context of cdk.json: what `cdk synth` gives the app. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  if (!isRecord(parsed) || !isRecord(parsed.context)) throw new Error('cdk.json has no context object');
  return parsed.context;
}

/**
 * An App with cdk.json's context and bundling skipped. CDK's built-in CloudFormation template
 * validation (several seconds to start per test process) runs only where a test asks for it:
 * nag.test.ts synthesizes the whole app with it, exactly as `cdk synth` does.
 */
export function testApp(options: { cloudFormationValidation?: boolean } = {}): App {
  return new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
  });
}

export const BASE_CONFIG = {
  appId: 'orders',
  ecs: { cluster: 'flink', service: 'taskmanager' },
  metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: 'flink' } },
  policy: { minTaskManagers: 2, maxTaskManagers: 12 },
  partitions: 24,
  slotsPerTaskManager: 2,
  alarms: ['orders-consumer-lag-high', 'orders-backpressure'],
} satisfies AppConfigInput;

export function prebuiltCode(): NonNullable<AutoscalerAppOptions['code']> {
  return {
    scaler: lambda.Code.fromInline('exports.handler = async () => ({});'),
    failover: lambda.Code.fromInline('exports.handler = async () => ({});'),
  };
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: AutoscalerStacks;
}

export function buildApp(
  options: {
    config?: AppConfigInput;
    demoCluster?: boolean;
    /** Register the cdk-nag packs and CDK's CloudFormation validation, as infra/app.ts and `cdk synth` do. */
    nag?: boolean;
    alarmTopicArn?: string;
  } = {},
): BuiltApp {
  const app = testApp({ cloudFormationValidation: options.nag ?? false });
  if (options.nag) addNagChecks(app);
  const stacks = addAutoscalerStacks(app, {
    config: parseConfig(options.config ?? BASE_CONFIG),
    env: TEST_ENV,
    demoCluster: options.demoCluster ?? false,
    code: prebuiltCode(),
    ...(options.alarmTopicArn !== undefined ? { alarmTopicArn: options.alarmTopicArn } : {}),
  });
  return { app, stacks };
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
