/**
 * The stateless part of the autoscaler: the scaler and failover functions, their triggers,
 * their least-privilege roles, and the operations dashboard and alarms. The state table is
 * passed in (AutoscalerTable lives in a stateful stack of its own).
 *
 * Triggers (DESIGN.md §1, §3):
 * - an EventBridge schedule every minute → scaler and failover (reconcile);
 * - CloudWatch alarm state changes of the alarms named in the config → scaler, plus the
 *   resource policy that lets those alarms invoke the scaler directly as an alarm action;
 * - ECS task state changes of the TaskManager service → failover (fast path);
 * - manual invokes (rescale, pause, resume, status) through IAM only: no function URL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type AppConfig, type AppConfigInput, parseConfig } from '../../lib/core/config.js';
import { ConfigError } from '../../lib/core/errors.js';
import { acknowledge, wildcardResourceFinding } from '../acknowledge.js';
import {
  BUNDLING,
  FUNCTION_ENTRIES,
  type FunctionName,
  LAMBDA_ARCHITECTURE,
  LAMBDA_RUNTIME,
  PREBUNDLED_DIR,
  PROJECT_ROOT,
} from '../lambda-bundling.js';
import { AutoscalerTable } from './autoscaler-table.js';
import { AUTOSCALER_METRICS, AutoscalerOperations } from './operations.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Default POWERTOOLS_SERVICE_NAME of both functions: the `service` dimension of their metrics. */
export const DEFAULT_METRICS_SERVICE_NAME = 'flink-ecs-autoscaler';

/**
 * DynamoDB actions per function: exactly what its code sends (test/infra/iam.test.ts records
 * the commands of each function's scenarios and compares); no Scan, no table-level operations.
 */
export const TABLE_ACTIONS: Readonly<Record<FunctionName, readonly string[]>> = {
  // readScaler (GetItem), commitScaler and putDecision (PutItem), status (Query).
  scaler: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  // readApp (Query), commitTask and writePartition (PutItem), deleteTask (DeleteItem).
  failover: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
};

/** The ECS managed tag ECS puts on a service's tasks (with enableECSManagedTags): the service's name. */
export const ECS_SERVICE_NAME_TAG = 'aws:ecs:serviceName';

/**
 * Which tasks the failover function may stop and (un)protect: the TaskManager service's
 * (`service`, by the ECS managed tag) or any of the cluster's (`cluster`).
 */
export type TaskWriteScope = 'service' | 'cluster';

/** Lambda limits the environment of a function to 4 KB; the config must leave room for the rest. */
const MAX_CONFIG_JSON_BYTES = 3584;

/**
 * The autoscaler config of the construct: the config file's schema (lib/core/config.ts), where
 * `ecs` may be left out when the construct is given the cluster and the service.
 */
export type FlinkAutoscalerConfig = Omit<AppConfigInput, 'ecs'> & { readonly ecs?: AppConfigInput['ecs'] };

export interface FlinkAutoscalerProps {
  /**
   * The autoscaler config (the zod schema of lib/core/config.ts; docs/deploy.md lists the
   * fields). It is validated at synth: a bad config fails synth with a message naming the
   * field. `ecs` (cluster and service names) defaults to the `cluster` and `service` props.
   */
  readonly config: FlinkAutoscalerConfig;
  /**
   * The state table (see AutoscalerTable). Pass one from a stateful stack to keep the state
   * through a redeploy of this construct's stack.
   * @default an AutoscalerTable created in this construct (retained on stack deletion)
   */
  readonly table?: dynamodb.ITable;
  /**
   * CloudWatch alarms whose state changes make the scaler evaluate at once (added to
   * `config.alarms` by name; they may also invoke it as an alarm action).
   * @default only the names in `config.alarms`
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * The ECS cluster that runs the TaskManagers. When given, its name must match `ecs.cluster`
   * of the config (unless it is only known at deploy time).
   * @default the cluster named `ecs.cluster` in this stack's account and region
   */
  readonly cluster?: ecs.ICluster;
  /**
   * The TaskManager service. When given, its name must match `ecs.service` of the config
   * (unless it is only known at deploy time).
   * @default the service named `ecs.service` in the cluster
   */
  readonly service?: ecs.IBaseService;
  /**
   * Prebuilt code instead of bundling an entry (for example a CI artifact). Its handler
   * must be `index.handler`.
   * @default in a checkout of the repository each function is bundled from its entry with the
   *   local esbuild; from the npm package, the bundles the package ships (dist/lambda/<name>),
   *   so a `cdk synth` needs neither esbuild nor Docker
   */
  readonly code?: { readonly scaler?: lambda.Code; readonly failover?: lambda.Code };
  /**
   * Handler file of the scaler.
   * @default `functions/scaler.ts` of this repository
   */
  readonly scalerEntry?: string;
  /**
   * Handler file of the failover function.
   * @default `functions/failover.ts` of this repository
   */
  readonly failoverEntry?: string;
  /**
   * Memory of each function, in MB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Scaler timeout: below the schedule period, so that one tick finishes before the next.
   * @default 50 seconds
   */
  readonly scalerTimeout?: Duration;
  /**
   * Failover timeout.
   * @default 60 seconds
   */
  readonly failoverTimeout?: Duration;
  /**
   * How long an asynchronous event may wait (throttling, retries) before it goes to the
   * dead-letter queue. An older schedule or alarm event is stale anyway.
   * @default two schedule periods, at least one minute
   */
  readonly maxEventAge?: Duration;
  /**
   * Retries of a failed asynchronous invocation (0-2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Reserved concurrency of the scaler. Not needed for correctness: every decision is
   * committed with a conditional write on the scaler item's version and applied only while it
   * is the latest. A reservation takes that many from the account's concurrent-executions
   * quota, and Lambda keeps 100 of the quota unreserved: the deploy fails ("… decreases
   * account's UnreservedConcurrentExecution below its minimum value") unless the quota is at
   * least 100 + the reservations of the account's functions. New accounts may have a quota of
   * 10: raise it in Service Quotas first. A manual invoke that finds the reserved slots busy
   * is throttled (429); the CLI retries it.
   * @default no reservation
   */
  readonly scalerReservedConcurrency?: number;
  /**
   * Reserved concurrency of the failover function. The conditional writes keep it correct
   * at any concurrency; a reservation bounds the races during a burst of task events. It needs
   * the account quota scalerReservedConcurrency describes.
   * @default no reservation
   */
  readonly failoverReservedConcurrency?: number;
  /**
   * Which tasks the failover function may stop and (un)protect (ecs:StopTask,
   * ecs:UpdateTaskProtection). `service`: only the TaskManager service's tasks, by an
   * `aws:ResourceTag/aws:ecs:serviceName` condition on the ECS managed tag that ECS puts on a
   * service's tasks when the service has `enableECSManagedTags` (synth fails when the service
   * given to the construct has it off; tasks started before it was turned on carry no tag
   * until they are replaced). `cluster`: any task of the cluster, the JobManager's too (for a
   * service whose managed tags cannot be turned on). Both are limited to the cluster by ARN
   * and `ecs:cluster`. See docs/deploy.md.
   * @default 'service'
   */
  readonly taskWriteScope?: TaskWriteScope;
  /**
   * Log level of both functions (Powertools and Lambda's application log level).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Retention of the function log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * POWERTOOLS_SERVICE_NAME of both functions (the `service` dimension of their metrics).
   * @default 'flink-ecs-autoscaler'
   */
  readonly metricsServiceName?: string;
  /**
   * Topic notified by the controller alarms.
   * @default no alarm actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create the operations dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** Every prop with its default applied, and the config validated. */
interface Settings {
  readonly config: AppConfig;
  readonly code: Readonly<Record<FunctionName, FunctionCodeSource>>;
  readonly memorySize: number;
  readonly timeouts: Readonly<Record<FunctionName, Duration>>;
  readonly maxEventAge: Duration;
  readonly retryAttempts: number;
  readonly reservedConcurrency: Readonly<Record<FunctionName, number | undefined>>;
  readonly taskWriteScope: TaskWriteScope;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly metricsServiceName: string;
  readonly dashboard: boolean;
}

function fail(path: string, message: string): never {
  throw new ConfigError(`FlinkAutoscaler ${path}: ${message}`);
}

function validateConfig(path: string, raw: AppConfigInput): AppConfig {
  try {
    return parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(`FlinkAutoscaler ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The config with `ecs` from the cluster and service props where the config leaves it out. */
function withEcs(path: string, props: FlinkAutoscalerProps): AppConfigInput {
  if (props.config.ecs !== undefined) return { ...props.config, ecs: props.config.ecs };
  const cluster = props.cluster ?? props.service?.cluster;
  if (cluster === undefined || props.service === undefined) {
    fail(
      path,
      'config.ecs: required unless the construct is given the cluster (or a service with it) and the service',
    );
  }
  return { ...props.config, ecs: { cluster: cluster.clusterName, service: props.service.serviceName } };
}

/** Where a function's code comes from (functionCode). */
export type FunctionCodeSource =
  | { readonly kind: 'given'; readonly code: lambda.Code }
  | { readonly kind: 'entry'; readonly entry: string };

/**
 * The code each function runs: the `code` prop; else, in a checkout, its entry bundled with the
 * local esbuild; else the npm package's bundle (dist/lambda/<name>). `exists` is the file test.
 */
export function functionCode(
  path: string,
  given: lambda.Code | undefined,
  name: FunctionName,
  entry: string,
  exists: (file: string) => boolean = existsSync,
): FunctionCodeSource {
  if (given) return { kind: 'given', code: given };
  if (exists(entry)) return { kind: 'entry', entry };
  const prebundled = join(PROJECT_ROOT, PREBUNDLED_DIR, name);
  if (exists(join(prebundled, 'index.mjs')))
    return { kind: 'given', code: lambda.Code.fromAsset(prebundled) };
  return fail(
    path,
    `the ${name} function has neither its entry (${entry}) nor a bundle in ${prebundled}: in a checkout run \`npm run build\`; from the npm package, reinstall it`,
  );
}

function resolveSettings(path: string, props: FlinkAutoscalerProps): Settings {
  const input = withEcs(path, props);
  const alarmNames = (props.alarms ?? []).map((a) => a.alarmName);
  const config = validateConfig(path, {
    ...input,
    alarms: [...new Set([...(input.alarms ?? []), ...alarmNames])],
  });
  if (config.scheduleSeconds % 60 !== 0) {
    fail(
      path,
      `invalid autoscaler config: scheduleSeconds: must be a whole number of minutes (60, 120, …) for the EventBridge schedule, got ${config.scheduleSeconds}`,
    );
  }
  const settings: Settings = {
    config,
    code: {
      scaler: functionCode(
        path,
        props.code?.scaler,
        'scaler',
        props.scalerEntry ?? join(PROJECT_ROOT, FUNCTION_ENTRIES.scaler),
      ),
      failover: functionCode(
        path,
        props.code?.failover,
        'failover',
        props.failoverEntry ?? join(PROJECT_ROOT, FUNCTION_ENTRIES.failover),
      ),
    },
    memorySize: props.memorySize ?? 512,
    timeouts: {
      scaler: props.scalerTimeout ?? Duration.seconds(50),
      failover: props.failoverTimeout ?? Duration.seconds(60),
    },
    maxEventAge: props.maxEventAge ?? Duration.seconds(Math.max(60, 2 * config.scheduleSeconds)),
    retryAttempts: props.retryAttempts ?? 2,
    reservedConcurrency: {
      scaler: props.scalerReservedConcurrency,
      failover: props.failoverReservedConcurrency,
    },
    taskWriteScope: props.taskWriteScope ?? 'service',
    logLevel: props.logLevel ?? 'INFO',
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    metricsServiceName: props.metricsServiceName ?? DEFAULT_METRICS_SERVICE_NAME,
    dashboard: props.dashboard ?? true,
  };
  if (!Number.isInteger(settings.memorySize) || settings.memorySize < 128 || settings.memorySize > 10240) {
    fail(path, `memorySize: must be a whole number of MB from 128 to 10240, got ${settings.memorySize}`);
  }
  if (!Number.isInteger(settings.retryAttempts) || settings.retryAttempts < 0 || settings.retryAttempts > 2) {
    fail(path, `retryAttempts: must be 0, 1 or 2, got ${settings.retryAttempts}`);
  }
  const maxEventAgeSeconds = settings.maxEventAge.toSeconds();
  if (maxEventAgeSeconds < 60 || maxEventAgeSeconds > 21600) {
    fail(path, `maxEventAge: must be from 1 minute to 6 hours, got ${maxEventAgeSeconds} seconds`);
  }
  const scalerTimeoutSeconds = settings.timeouts.scaler.toSeconds();
  if (scalerTimeoutSeconds >= config.scheduleSeconds) {
    fail(
      path,
      `scalerTimeout: must be shorter than the schedule period (scheduleSeconds ${config.scheduleSeconds}), got ${scalerTimeoutSeconds} seconds`,
    );
  }
  for (const [name, concurrency] of Object.entries(settings.reservedConcurrency)) {
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      fail(path, `${name}ReservedConcurrency: must be a whole number of at least 1, got ${concurrency}`);
    }
  }
  if (settings.taskWriteScope !== 'service' && settings.taskWriteScope !== 'cluster') {
    fail(path, `taskWriteScope: must be 'service' or 'cluster', got ${String(settings.taskWriteScope)}`);
  }
  return settings;
}

/**
 * With the `service` task-write scope, a TaskManager service defined in this app must tag its
 * tasks with ECS managed tags (an imported one cannot be checked: docs/deploy.md says so).
 */
function checkManagedTags(path: string, scope: TaskWriteScope, service: ecs.IBaseService | undefined): void {
  const cfn = service?.node.defaultChild;
  if (scope !== 'service' || !(cfn instanceof ecs.CfnService)) return;
  if (cfn.enableEcsManagedTags !== true && !Token.isUnresolved(cfn.enableEcsManagedTags)) {
    fail(
      path,
      `service: the TaskManager service ${service?.node.path} has enableECSManagedTags off, so its tasks carry no ${ECS_SERVICE_NAME_TAG} tag and the failover function could stop none of them; turn it on, or set taskWriteScope: 'cluster'`,
    );
  }
}

/** A name that must equal the config's, unless it is a deploy-time token. */
function checkSameName(path: string, field: string, fromConfig: string, fromProp: string | undefined): void {
  if (fromProp !== undefined && !Token.isUnresolved(fromProp) && fromProp !== fromConfig) {
    fail(
      path,
      `${field}: the config names "${fromConfig}" but the construct was given "${fromProp}"; they must match`,
    );
  }
}

export class FlinkAutoscaler extends Construct {
  /** The validated config, defaults applied (what the functions receive as AUTOSCALER_CONFIG). */
  readonly config: AppConfig;
  readonly scalerFunction: lambda.Function;
  readonly failoverFunction: lambda.Function;
  /** The state table: the one given, or the one this construct created. */
  readonly table: dynamodb.ITable;
  /** Where failed asynchronous invocations and undeliverable events end up. */
  readonly deadLetterQueue: sqs.Queue;
  readonly operations: AutoscalerOperations;

  constructor(scope: Construct, id: string, props: FlinkAutoscalerProps) {
    super(scope, id);
    const settings = resolveSettings(this.node.path, props);
    const { config } = settings;
    this.config = config;
    const stack = Stack.of(this);
    const table = props.table ?? new AutoscalerTable(this, 'State').table;
    this.table = table;

    // ------------------------------------------------------------ the ECS service
    const clusterRef = props.cluster ?? props.service?.cluster;
    checkSameName(this.node.path, 'ecs.cluster', config.ecs.cluster, clusterRef?.clusterName);
    checkSameName(this.node.path, 'ecs.service', config.ecs.service, props.service?.serviceName);
    checkManagedTags(this.node.path, settings.taskWriteScope, props.service);
    const clusterName = clusterRef?.clusterName ?? config.ecs.cluster;
    const serviceName = props.service?.serviceName ?? config.ecs.service;
    const clusterArn =
      clusterRef?.clusterArn ??
      stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: clusterName });
    const serviceArn =
      props.service?.serviceArn ??
      stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${clusterName}/${serviceName}` });
    // The cluster's tasks by ARN prefix, and by the ecs:cluster condition in any case. A
    // cluster of another stack reaches this one as an import whose name CDK picks only at
    // synth, so no acknowledgement can name the wildcard finding of such a prefix: the task
    // actions then use `*`, limited to the cluster by the condition alone (docs/deploy.md).
    const crossStackCluster =
      clusterRef !== undefined && Stack.of(clusterRef) !== stack && Token.isUnresolved(clusterName);
    const clusterTasksArn = crossStackCluster
      ? '*'
      : stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${clusterName}/*` });
    const inCluster = { ArnEquals: { 'ecs:cluster': clusterArn } };

    // ------------------------------------------------------------ failures
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue: the on-failure destination of both functions and the DLQ of the EventBridge targets. A further DLQ would only move the same messages.',
    );
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is the end of the line for failed events (it is the dead-letter queue): an alarm watches its depth and an operator reads and purges it. A redrive policy would need yet another queue.',
    );

    // ------------------------------------------------------------ functions
    const runtimeConfig = { ...config, ecs: { cluster: clusterName, service: serviceName } };
    const configJson = stack.toJsonString(runtimeConfig);
    if (!Token.isUnresolved(configJson) && Buffer.byteLength(configJson) > MAX_CONFIG_JSON_BYTES) {
      fail(
        this.node.path,
        `config: is ${Buffer.byteLength(configJson)} bytes as JSON; it must stay under ${MAX_CONFIG_JSON_BYTES} bytes to fit Lambda's 4 KB environment`,
      );
    }
    const environment: Record<string, string> = {
      AUTOSCALER_CONFIG: configJson,
      TABLE_NAME: table.tableName,
      POWERTOOLS_SERVICE_NAME: settings.metricsServiceName,
      POWERTOOLS_METRICS_NAMESPACE: AUTOSCALER_METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };

    const makeFunction = (name: FunctionName, description: string) => {
      const reservedConcurrency = settings.reservedConcurrency[name];
      const label = name === 'scaler' ? 'Scaler' : 'Failover';
      const logGroup = new logs.LogGroup(this, `${label}Logs`, { retention: settings.logRetention });
      const role = new iam.Role(this, `${label}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${description} (${config.appId})`,
      });
      logGroup.grantWrite(role);
      const code = settings.code[name];
      const common = {
        description: `${description} (${config.appId})`,
        runtime: LAMBDA_RUNTIME,
        architecture: LAMBDA_ARCHITECTURE,
        memorySize: settings.memorySize,
        timeout: settings.timeouts[name],
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel[settings.logLevel],
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        tracing: lambda.Tracing.ACTIVE,
        environment: { ...environment },
        ...(reservedConcurrency !== undefined ? { reservedConcurrentExecutions: reservedConcurrency } : {}),
        maxEventAge: settings.maxEventAge,
        retryAttempts: settings.retryAttempts,
        onFailure: new SqsDestination(this.deadLetterQueue),
      } satisfies Omit<lambda.FunctionProps, 'code' | 'handler'>;
      const fn =
        code.kind === 'entry'
          ? new NodejsFunction(this, label, {
              ...common,
              entry: code.entry,
              handler: 'handler',
              projectRoot: PROJECT_ROOT,
              depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
              bundling: BUNDLING,
            })
          : new lambda.Function(this, label, { ...common, code: code.code, handler: 'index.handler' });
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Failed asynchronous invocations go to the on-failure destination (the dead-letter queue), which records the request, the error and the retry count; a DeadLetterConfig as well would deliver every failure twice.',
      );

      // The table: this app's items only (dynamodb:LeadingKeys), no Scan, no table operations.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'AppItems',
          actions: [...TABLE_ACTIONS[name]],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`APP#${config.appId}`] } },
        }),
      );
      // GetMetricData has no resource-level permissions: `*` is the only valid resource.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadMetrics',
          actions: ['cloudwatch:GetMetricData'],
          resources: ['*'],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadService',
          actions: ['ecs:DescribeServices'],
          resources: [serviceArn],
        }),
      );
      // ListTasks authorizes on the cluster through its condition key only.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListClusterTasks',
          actions: ['ecs:ListTasks'],
          resources: ['*'],
          conditions: inCluster,
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DescribeClusterTasks',
          actions: ['ecs:DescribeTasks'],
          resources: [clusterTasksArn],
          conditions: inCluster,
        }),
      );
      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'Only actions without resource-level permissions use `*`: cloudwatch:GetMetricData, ecs:ListTasks (restricted to the cluster by the ecs:cluster condition), and xray:PutTraceSegments/PutTelemetryRecords for active tracing; with a cluster of another stack also the task actions, restricted to that cluster by the ecs:cluster condition (and the writes to the TaskManager service by its managed tag).',
      );
      if (clusterTasksArn !== '*') {
        acknowledge(
          role,
          wildcardResourceFinding(this, clusterTasksArn),
          "The TaskManager task ids are not known at deploy time; the tasks are limited to the autoscaled cluster's tasks (ARN prefix and ecs:cluster condition).",
        );
      }
      return { fn, role };
    };

    const scaler = makeFunction(
      'scaler',
      'Flink TaskManager autoscaler: decides and sets the ECS desired count',
    );
    scaler.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ScaleService',
        actions: ['ecs:UpdateService'],
        resources: [serviceArn],
      }),
    );

    const failover = makeFunction(
      'failover',
      'Flink TaskManager failover: health, partition ownership, hung TaskManager replacement',
    );
    // Stop hung TaskManagers and drained victims, set and drop their scale-in protection: the
    // cluster's tasks (ARN and ecs:cluster), and by default only the TaskManager service's
    // (the ECS managed tag aws:ecs:serviceName; no ecs:service key exists for tasks).
    failover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: settings.taskWriteScope === 'service' ? 'WriteTaskManagerTasks' : 'WriteClusterTasks',
        actions: ['ecs:StopTask', 'ecs:UpdateTaskProtection'],
        resources: [clusterTasksArn],
        conditions:
          settings.taskWriteScope === 'service'
            ? { ...inCluster, StringEquals: { [`aws:ResourceTag/${ECS_SERVICE_NAME_TAG}`]: serviceName } }
            : inCluster,
      }),
    );
    this.scalerFunction = scaler.fn;
    this.failoverFunction = failover.fn;

    // ------------------------------------------------------------ triggers
    const target = (fn: lambda.IFunction) =>
      new targets.LambdaFunction(fn, {
        deadLetterQueue: this.deadLetterQueue,
        maxEventAge: settings.maxEventAge,
        retryAttempts: settings.retryAttempts,
      });

    new events.Rule(this, 'Schedule', {
      description: `Every ${config.scheduleSeconds / 60} minute(s): scaler decision and failover reconcile (${config.appId})`,
      schedule: events.Schedule.rate(Duration.seconds(config.scheduleSeconds)),
      targets: [target(scaler.fn), target(failover.fn)],
    });

    if (config.alarms.length > 0) {
      new events.Rule(this, 'AlarmStateChange', {
        description: `Evaluate now when one of the configured alarms changes state (${config.appId})`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: [...config.alarms] },
        },
        targets: [target(scaler.fn)],
      });
      // The same alarms may also invoke the scaler directly as an alarm action.
      config.alarms.forEach((alarmName, i) => {
        scaler.fn.addPermission(`AlarmAction${i}`, {
          principal: new iam.ServicePrincipal('lambda.alarms.cloudwatch.amazonaws.com'),
          action: 'lambda:InvokeFunction',
          sourceArn: stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: alarmName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          sourceAccount: stack.account,
        });
      });
    }

    new events.Rule(this, 'TaskStateChange', {
      description: `Fail over now when a TaskManager task of ${serviceName} changes state (${config.appId})`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [clusterArn], group: [`service:${serviceName}`] },
      },
      targets: [target(failover.fn)],
    });

    // ------------------------------------------------------------ operations
    this.operations = new AutoscalerOperations(this, 'Operations', {
      namePrefix: `FlinkEcsAutoscaler-${config.appId.replace(/[^A-Za-z0-9_-]/g, '-')}`,
      appId: config.appId,
      metricsServiceName: settings.metricsServiceName,
      clusterName,
      taskManagerServiceName: serviceName,
      loadFactor: config.policy.loadFactor,
      targetUtilization: config.policy.targetUtilization,
      scaler: scaler.fn,
      failover: failover.fn,
      deadLetterQueue: this.deadLetterQueue,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      dashboard: settings.dashboard,
    });
  }

  /** Lets an operator (user, role, CI) invoke the scaler manually: rescale, pause, resume, status. */
  grantManualInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.scalerFunction.grantInvoke(grantee);
  }
}
