/**
 * What the CDK app reads from its context (cdk.json or `-c key=value`) and environment: the
 * config file, the target account and region (explicit defaults, so synth works offline with
 * no credentials), the demo cluster flag, and an optional alarm topic.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type AppConfig, parseConfig } from '../lib/core/config.js';
import { ConfigError } from '../lib/core/errors.js';
import type { AutoscalerAppOptions } from './stacks.js';

export const CONTEXT_KEYS = {
  /** Path of the app config JSON file, relative to the working directory. */
  configFile: 'flink-ecs-autoscaler:configFile',
  /** `true` to deploy the demo Flink cluster as well. */
  demoCluster: 'flink-ecs-autoscaler:demoCluster',
  account: 'flink-ecs-autoscaler:account',
  region: 'flink-ecs-autoscaler:region',
  /** ARN of an existing SNS topic for the controller alarms. */
  alarmTopicArn: 'flink-ecs-autoscaler:alarmTopicArn',
} as const;

/** Used only when neither context nor the CLI (from the credentials) names an account: offline synth. */
export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

/** Reads and validates the config file; a bad file throws a ConfigError naming the file and the field. */
export function loadConfigFile(path: string): AppConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${path}: cannot read the autoscaler config file (${(cause as Error).message})`, {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${path}: is not valid JSON (${(cause as Error).message})`, { cause });
  }
  try {
    return parseConfig(raw);
  } catch (cause) {
    throw new ConfigError(`${path}: ${(cause as Error).message}`, { cause });
  }
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ConfigError(`context ${key}: must be a string, got ${JSON.stringify(value)}`);
  return value.trim() === '' ? undefined : value.trim();
}

function flag(key: string, value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new ConfigError(`context ${key}: must be true or false, got ${JSON.stringify(value)}`);
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v !== undefined && v.trim() !== '' ? v : undefined;

export function readAppOptions(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): AutoscalerAppOptions {
  const configFile = optionalString(CONTEXT_KEYS.configFile, context(CONTEXT_KEYS.configFile));
  if (configFile === undefined) {
    throw new ConfigError(
      `context ${CONTEXT_KEYS.configFile}: is not set; name the autoscaler config file in cdk.json or with -c ${CONTEXT_KEYS.configFile}=path`,
    );
  }
  const config = loadConfigFile(isAbsolute(configFile) ? configFile : resolve(cwd, configFile));
  const account =
    optionalString(CONTEXT_KEYS.account, context(CONTEXT_KEYS.account)) ??
    nonEmpty(env.CDK_DEFAULT_ACCOUNT) ??
    DEFAULT_ACCOUNT;
  const region =
    optionalString(CONTEXT_KEYS.region, context(CONTEXT_KEYS.region)) ??
    nonEmpty(env.CDK_DEFAULT_REGION) ??
    nonEmpty(env.AWS_REGION) ??
    DEFAULT_REGION;
  if (!/^\d{12}$/.test(account)) {
    throw new ConfigError(`account: must be a 12-digit AWS account id, got "${account}"`);
  }
  const alarmTopicArn = optionalString(CONTEXT_KEYS.alarmTopicArn, context(CONTEXT_KEYS.alarmTopicArn));
  return {
    config,
    env: { account, region },
    demoCluster: flag(CONTEXT_KEYS.demoCluster, context(CONTEXT_KEYS.demoCluster)),
    ...(alarmTopicArn !== undefined ? { alarmTopicArn } : {}),
  };
}
