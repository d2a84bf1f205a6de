/**
 * The construct library (`import { FlinkAutoscaler } from 'flink-ecs-autoscaler'`): the
 * autoscaler and failover control plane for a Flink TaskManager service on ECS, its state
 * table, and a demo Flink cluster to try it on. The Lambda code ships prebundled in the
 * package (dist/lambda), so a `cdk synth` needs neither esbuild nor Docker.
 */

export { type AppConfig, type AppConfigInput, parseConfig } from '../lib/core/config.js';
export { ConfigError } from '../lib/core/errors.js';
export { AutoscalerTable, type AutoscalerTableProps } from './constructs/autoscaler-table.js';
export {
  DEMO_DEFAULTS,
  DemoFlinkCluster,
  type DemoFlinkClusterProps,
} from './constructs/demo-flink-cluster.js';
export {
  DEFAULT_METRICS_SERVICE_NAME,
  ECS_SERVICE_NAME_TAG,
  FlinkAutoscaler,
  type FlinkAutoscalerConfig,
  type FlinkAutoscalerProps,
  type LogLevel,
  type TaskWriteScope,
} from './constructs/flink-autoscaler.js';
export { AutoscalerOperations, type AutoscalerOperationsProps } from './constructs/operations.js';
