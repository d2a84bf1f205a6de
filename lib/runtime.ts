/**
 * Wires the scaler from its environment: config (one JSON variable), table name, AWS
 * clients and adapters. Built once per Lambda container. The simulator builds the same
 * runtime with SDK clients pointed at the local cloud and its simulated clock.
 */
import { type AwsClients, createAwsClients } from './aws/clients.js';
import { CloudWatchMetricsSource } from './aws/cloudwatch-metrics.js';
import { DynamoDbStateStore } from './aws/dynamodb-store.js';
import { EcsServiceController } from './aws/ecs-service.js';
import { type AppConfig, parseConfigJson } from './core/config.js';
import { type Env, requireEnv } from './env.js';
import { Failover } from './failover.js';
import { createObservability, type Observability } from './observability.js';
import { type Clock, systemClock } from './ports.js';
import { Scaler } from './scaler.js';

export interface ScalerRuntime {
  readonly config: AppConfig;
  readonly scaler: Scaler;
  readonly obs: Observability;
}

export interface RuntimeOverrides {
  readonly clock?: Clock;
  readonly clients?: AwsClients;
  readonly newId?: () => string;
}

/** What both functions are built from: the validated config, the adapters on one set of clients, observability. */
function loadCommon(env: Env, overrides: RuntimeOverrides) {
  const config = parseConfigJson(env.AUTOSCALER_CONFIG);
  const tableName = requireEnv(env, 'TABLE_NAME');
  const clients = overrides.clients ?? createAwsClients();
  return {
    config,
    ports: {
      config,
      store: new DynamoDbStateStore(clients.dynamodb, tableName),
      ecs: new EcsServiceController(clients.ecs, config.ecs.cluster, config.ecs.service),
      metrics: new CloudWatchMetricsSource(clients.cloudwatch),
      clock: overrides.clock ?? systemClock,
    },
    obs: createObservability(env.POWERTOOLS_SERVICE_NAME ?? 'flink-ecs-autoscaler', config.appId),
  };
}

export function loadScalerRuntime(env: Env, overrides: RuntimeOverrides = {}): ScalerRuntime {
  const { config, ports, obs } = loadCommon(env, overrides);
  const scaler = new Scaler({ ...ports, ...(overrides.newId ? { newId: overrides.newId } : {}) });
  return { config, scaler, obs };
}

export interface FailoverRuntime {
  readonly config: AppConfig;
  readonly failover: Failover;
  readonly obs: Observability;
}

/** The failover function's runtime: the same environment (AUTOSCALER_CONFIG, TABLE_NAME) as the scaler. */
export function loadFailoverRuntime(
  env: Env,
  overrides: Omit<RuntimeOverrides, 'newId'> = {},
): FailoverRuntime {
  const { config, ports, obs } = loadCommon(env, overrides);
  return { config, failover: new Failover(ports), obs };
}
