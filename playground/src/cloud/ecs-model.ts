/**
 * An in-memory Amazon ECS (Fargate) with a simulated clock. Nothing runs by itself: the owner
 * calls `step(nowMs)` and the model applies, in time order, everything due up to then (tasks
 * starting, health checks, graceful stops finishing, protection expiring), with the service
 * scheduler reacting after each change. Time only moves forward.
 *
 * Service semantics follow ECS: a service keeps `desiredCount` tasks with desiredStatus
 * RUNNING, launching replacements for tasks that stop; on scale-in it stops unprotected tasks
 * only, so a service whose surplus is all protected stays above its desired count; a task
 * whose container health check fails `unhealthyThreshold` times in a row becomes UNHEALTHY
 * and the service replaces it. Every change of a task increments its `version` and emits an
 * "ECS Task State Change" event to the subscribers.
 *
 * A service's tasks are simulated (their timings on the model's clock) unless the service has a
 * task runtime (./task-runtime.ts): then each task's life (started, ready, exited) is the
 * runtime's, e.g. a real process, and the model applies what the runtime reports when it
 * reports it; stops become SIGTERM, then SIGKILL after the stop timeout.
 *
 * The API-facing methods throw `EcsApiError` exactly where ECS answers with an error; the
 * simulator-facing ones (`kill`, `hang`, `step`) throw `SimulationUsageError`.
 */

import { type EcsTaskStateChangeEvent, taskStateChangeEvent } from './ecs-events';
import { EcsApiError, SimulationUsageError } from './errors';
import { type Random, randomDigits, randomTaskId, randomUuid, seededRandom } from './random';
import type { TaskLifecycle, TaskRuntime } from './task-runtime';

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';
export type TaskDesiredStatus = 'RUNNING' | 'STOPPED';
export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
export type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';
export type StopCode = 'UserInitiated' | 'ServiceSchedulerInitiated' | 'EssentialContainerExited';

export interface EcsContainer {
  readonly name: string;
  readonly containerArn: string;
  readonly image: string;
  readonly lastStatus: ContainerStatus;
  readonly healthStatus: HealthStatus;
  readonly exitCode?: number;
}

/** A snapshot of one task. Times are epoch milliseconds of the simulated clock. */
export interface EcsTask {
  readonly taskId: string;
  readonly taskArn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly serviceName: string;
  /** `service:<serviceName>`. */
  readonly group: string;
  readonly startedBy: string;
  readonly taskDefinitionArn: string;
  readonly availabilityZone: string;
  readonly platformVersion: string;
  readonly cpu: string;
  readonly memory: string;
  readonly lastStatus: TaskLastStatus;
  readonly desiredStatus: TaskDesiredStatus;
  readonly healthStatus: HealthStatus;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly connectivityAtMs?: number;
  readonly pullStartedAtMs?: number;
  readonly pullStoppedAtMs?: number;
  readonly startedAtMs?: number;
  readonly stoppingAtMs?: number;
  readonly stoppedAtMs?: number;
  readonly stoppedReason?: string;
  readonly stopCode?: StopCode;
  readonly version: number;
  /** Set by the simulator: the process is alive but its health check fails. ECS cannot see it. */
  readonly hung: boolean;
  /** Scale-in protection expiry; absent when unprotected. */
  readonly protectedUntilMs?: number;
  readonly containers: readonly EcsContainer[];
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED';

export interface EcsDeployment {
  readonly id: string;
  readonly status: DeploymentStatus;
  readonly rolloutState: RolloutState;
  readonly rolloutStateReason: string;
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly failedTasks: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface EcsService {
  readonly serviceName: string;
  readonly serviceArn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly status: 'ACTIVE';
  readonly desiredCount: number;
  /** Tasks whose lastStatus is RUNNING. */
  readonly runningCount: number;
  /** Tasks still starting (PROVISIONING or PENDING) that the service wants running. */
  readonly pendingCount: number;
  readonly taskDefinitionArn: string;
  readonly createdAtMs: number;
  readonly platformVersion: string;
  /** The PRIMARY deployment first, then the ACTIVE ones still draining, newest first. */
  readonly deployments: readonly EcsDeployment[];
  readonly deploymentConfiguration: DeploymentConfiguration;
  /** The service's event messages, newest first (at most 100, as DescribeServices shows). */
  readonly events: readonly ServiceEvent[];
}

/** A rolling update's bounds, in percent of desiredCount (ECS's defaults: 100 and 200). */
export interface DeploymentConfiguration {
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
}

/** One entry of DescribeServices `events`. */
export interface ServiceEvent {
  readonly id: string;
  readonly createdAtMs: number;
  readonly message: string;
}

export interface UpdateServiceInput {
  readonly desiredCount?: number;
  /** A task definition ARN, `family:revision` or `family` (its latest revision). */
  readonly taskDefinition?: string;
  readonly forceNewDeployment?: boolean;
  readonly deploymentConfiguration?: Partial<DeploymentConfiguration>;
}

export interface ServiceCounts {
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
}

export interface TaskProtection {
  readonly taskArn: string;
  readonly protectionEnabled: boolean;
  readonly expirationDateMs?: number;
}

export interface EcsFailure {
  readonly arn: string;
  readonly reason: string;
  readonly detail?: string;
}

/** Timings and health-check settings; model-wide defaults, overridable per service. */
export interface TaskTimings {
  /** From launch to RUNNING (PROVISIONING, then PENDING). @default 60 */
  readonly startupSeconds?: number;
  /** From launch to PENDING; must not exceed startupSeconds. @default startupSeconds / 2 */
  readonly provisioningSeconds?: number;
  /** From a graceful stop (StopTask, scale-in, failed health) to STOPPED. @default 0 */
  readonly stopSeconds?: number;
  /**
   * With a task runtime: how long a stop waits after SIGTERM before SIGKILL (the container
   * definition's stopTimeout; Fargate allows up to 120). @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /** Whether the container has a health check; without one health stays UNKNOWN. @default true */
  readonly healthCheck?: boolean;
  /** @default 10 */
  readonly healthCheckIntervalSeconds?: number;
  /** Consecutive failed checks before the container is UNHEALTHY. @default 3 */
  readonly unhealthyThreshold?: number;
  /**
   * ListTasks is eventually consistent: it omits a task until this long after its launch,
   * while DescribeTasks and the task events show it at once. @default 0
   */
  readonly listTasksLagSeconds?: number;
}

export interface EcsModelOptions extends TaskTimings {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Seed of the id generator: same seed, same task ARNs. @default 1 */
  readonly seed?: number;
  /** The simulated clock's start (epoch ms). @default 0 */
  readonly startMs?: number;
  /** How long DescribeTasks/ListTasks still show a STOPPED task. @default 3600 */
  readonly stoppedTaskRetentionSeconds?: number;
}

export interface CreateServiceOptions extends TaskTimings {
  readonly cluster: string;
  readonly serviceName: string;
  readonly desiredCount: number;
  /** @default serviceName */
  readonly taskDefinitionFamily?: string;
  /** @default 'taskmanager' */
  readonly containerName?: string;
  /** @default '1024' */
  readonly cpu?: string;
  /** @default '4096' */
  readonly memory?: string;
  /** Start the initial tasks already RUNNING (and HEALTHY) instead of launching them. @default false */
  readonly initialTasksRunning?: boolean;
  /**
   * What runs the service's tasks (e.g. real processes); the model then takes their state
   * from what it reports. @default none: the tasks are simulated with the timings
   */
  readonly runtime?: TaskRuntime;
  /** @default { minimumHealthyPercent: 100, maximumPercent: 200 } */
  readonly deploymentConfiguration?: Partial<DeploymentConfiguration>;
}

export type TaskStateChangeListener = (event: EcsTaskStateChangeEvent) => void;

interface ResolvedTimings {
  readonly startupMs: number;
  readonly provisioningMs: number;
  readonly stopMs: number;
  readonly stopTimeoutSeconds: number;
  readonly healthCheck: boolean;
  readonly healthIntervalMs: number;
  readonly unhealthyThreshold: number;
  readonly listLagMs: number;
}

interface ClusterRecord {
  readonly name: string;
  readonly arn: string;
  readonly services: Map<string, ServiceRecord>;
}

interface DeploymentRecord {
  readonly id: string;
  readonly taskDefinitionArn: string;
  readonly createdAtMs: number;
  rolloutState: RolloutState;
  updatedAtMs: number;
  failedTasks: number;
}

interface ServiceRecord {
  readonly name: string;
  readonly arn: string;
  readonly cluster: ClusterRecord;
  readonly family: string;
  readonly containerName: string;
  readonly image: string;
  readonly cpu: string;
  readonly memory: string;
  readonly createdAtMs: number;
  readonly timings: ResolvedTimings;
  /** Runs the tasks; undefined: simulated. */
  readonly runtime?: TaskRuntime;
  desiredCount: number;
  updatedAtMs: number;
  config: DeploymentConfiguration;
  /** The PRIMARY deployment first, then the older ones that still have tasks. */
  deployments: DeploymentRecord[];
  /** Newest first. */
  events: ServiceEvent[];
  /** Whether the last steady-state message still holds. */
  steady: boolean;
  /** The protected-surplus message last reported (so it is not repeated every step). */
  blockedScaleIn: number;
  /** Tasks not yet STOPPED, in launch order. */
  current: TaskRecord[];
}

interface TaskRecord {
  readonly seq: number;
  readonly taskId: string;
  readonly taskArn: string;
  readonly service: ServiceRecord;
  readonly deployment: DeploymentRecord;
  readonly availabilityZone: string;
  readonly createdAtMs: number;
  readonly pendingAtMs: number;
  readonly runningAtMs: number;
  lastStatus: TaskLastStatus;
  desiredStatus: TaskDesiredStatus;
  healthStatus: HealthStatus;
  containerStatus: ContainerStatus;
  exitCode?: number;
  updatedAtMs: number;
  connectivityAtMs?: number;
  pullStartedAtMs?: number;
  pullStoppedAtMs?: number;
  startedAtMs?: number;
  stoppingAtMs?: number;
  stoppedAtMs?: number;
  stoppedReason?: string;
  stopCode?: StopCode;
  version: number;
  hung: boolean;
  failedChecks: number;
  nextHealthCheckAtMs?: number;
  stopDueAtMs?: number;
  protectedUntilMs?: number;
}

const AVAILABILITY_ZONES = ['a', 'b', 'c'];
const MAX_SERVICE_EVENTS = 100;
const DEFAULT_DEPLOYMENT: DeploymentConfiguration = { minimumHealthyPercent: 100, maximumPercent: 200 };
const PLATFORM_VERSION = '1.4.0';
const DEFAULT_PROTECTION_MINUTES = 120;
const MAX_PROTECTION_MINUTES = 2880;
const MAX_PROTECTION_TASKS = 10;

function resolveTimings(own: TaskTimings, defaults: TaskTimings): ResolvedTimings {
  const startupSeconds = own.startupSeconds ?? defaults.startupSeconds ?? 60;
  const provisioningSeconds = own.provisioningSeconds ?? defaults.provisioningSeconds ?? startupSeconds / 2;
  const stopSeconds = own.stopSeconds ?? defaults.stopSeconds ?? 0;
  const stopTimeoutSeconds = own.stopTimeoutSeconds ?? defaults.stopTimeoutSeconds ?? 30;
  const healthIntervalSeconds = own.healthCheckIntervalSeconds ?? defaults.healthCheckIntervalSeconds ?? 10;
  const unhealthyThreshold = own.unhealthyThreshold ?? defaults.unhealthyThreshold ?? 3;
  const listLagSeconds = own.listTasksLagSeconds ?? defaults.listTasksLagSeconds ?? 0;
  if (!(startupSeconds >= 0) || !(provisioningSeconds >= 0) || provisioningSeconds > startupSeconds) {
    throw new SimulationUsageError(
      `startupSeconds (${startupSeconds}) and provisioningSeconds (${provisioningSeconds}) must satisfy 0 <= provisioning <= startup`,
    );
  }
  if (!(stopSeconds >= 0)) throw new SimulationUsageError(`stopSeconds must be >= 0, got ${stopSeconds}`);
  if (!(stopTimeoutSeconds > 0 && stopTimeoutSeconds <= 120)) {
    throw new SimulationUsageError(`stopTimeoutSeconds must be > 0 and <= 120, got ${stopTimeoutSeconds}`);
  }
  if (!(listLagSeconds >= 0)) {
    throw new SimulationUsageError(`listTasksLagSeconds must be >= 0, got ${listLagSeconds}`);
  }
  if (!(healthIntervalSeconds > 0)) {
    throw new SimulationUsageError(`healthCheckIntervalSeconds must be > 0, got ${healthIntervalSeconds}`);
  }
  if (!Number.isInteger(unhealthyThreshold) || unhealthyThreshold < 1) {
    throw new SimulationUsageError(
      `unhealthyThreshold must be a positive integer, got ${unhealthyThreshold}`,
    );
  }
  return {
    startupMs: startupSeconds * 1000,
    provisioningMs: provisioningSeconds * 1000,
    stopMs: stopSeconds * 1000,
    stopTimeoutSeconds,
    healthCheck: own.healthCheck ?? defaults.healthCheck ?? true,
    healthIntervalMs: healthIntervalSeconds * 1000,
    unhealthyThreshold,
    listLagMs: listLagSeconds * 1000,
  };
}

/** The last `/`-separated segment of an ARN, or the reference itself when it is a plain name. */
export function resourceName(ref: string): string {
  if (!ref.startsWith('arn:')) return ref;
  const slash = ref.lastIndexOf('/');
  return slash >= 0 ? ref.slice(slash + 1) : ref;
}

function isProtected(task: TaskRecord, nowMs: number): boolean {
  return task.protectedUntilMs !== undefined && nowMs < task.protectedUntilMs;
}

const STATUS_RANK: Readonly<Record<TaskLastStatus, number>> = {
  PROVISIONING: 0,
  PENDING: 1,
  RUNNING: 2,
  STOPPED: 3,
};

/**
 * The order in which scale-in picks victims: tasks not yet running first, then unhealthy
 * ones, then the newest. Deterministic, so a seeded run always stops the same tasks.
 */
function scaleInOrder(a: TaskRecord, b: TaskRecord): number {
  const rank = STATUS_RANK[a.lastStatus] - STATUS_RANK[b.lastStatus];
  if (rank !== 0) return rank;
  const health = Number(b.healthStatus === 'UNHEALTHY') - Number(a.healthStatus === 'UNHEALTHY');
  if (health !== 0) return health;
  return b.seq - a.seq;
}

/** The Availability Zone with the most (victims) or fewest (placement) of `tasks`; ties go to the first zone. */
function zoneCounts(zones: readonly string[], tasks: readonly TaskRecord[]): Map<string, number> {
  const counts = new Map(zones.map((z) => [z, 0]));
  for (const t of tasks) counts.set(t.availabilityZone, (counts.get(t.availabilityZone) ?? 0) + 1);
  return counts;
}

/**
 * Scale-in victims as ECS picks them: keep the Availability Zones balanced first (stop from
 * the zone with the most tasks of the service, protected ones included in the count), and
 * within a zone the order of scaleInOrder; protected tasks are never picked.
 */
export function balancedVictims<T extends TaskRecord>(
  zones: readonly string[],
  live: readonly T[],
  eligible: (t: T) => boolean,
  count: number,
): T[] {
  const remaining = [...live];
  const victims: T[] = [];
  while (victims.length < count) {
    const counts = zoneCounts(zones, remaining);
    const candidates = remaining.filter(eligible);
    if (candidates.length === 0) break;
    const most = Math.max(...candidates.map((t) => counts.get(t.availabilityZone) ?? 0));
    const pick = candidates
      .filter((t) => (counts.get(t.availabilityZone) ?? 0) === most)
      .sort(scaleInOrder)[0] as T;
    victims.push(pick);
    remaining.splice(remaining.indexOf(pick), 1);
  }
  return victims;
}

function minDefined(values: readonly (number | undefined)[]): number | undefined {
  let min: number | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
}

export class EcsModel {
  readonly region: string;
  readonly accountId: string;
  private now: number;
  private readonly defaults: TaskTimings;
  private readonly retentionMs: number;
  private readonly ids: Random;
  private readonly eventIds: Random;
  private readonly serviceEventIds: Random;
  /** Task definition family -> its latest revision. */
  private readonly taskDefinitions = new Map<string, number>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly tasksById = new Map<string, TaskRecord>();
  private readonly allTasks: TaskRecord[] = [];
  private readonly listeners = new Set<TaskStateChangeListener>();
  private readonly outbox: EcsTaskStateChangeEvent[] = [];
  private flushing = false;
  private seq = 0;

  constructor(options: EcsModelOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.now = options.startMs ?? 0;
    this.retentionMs = (options.stoppedTaskRetentionSeconds ?? 3600) * 1000;
    const seed = options.seed ?? 1;
    this.ids = seededRandom(seed);
    this.eventIds = seededRandom(seed ^ 0x5bd1e995);
    this.serviceEventIds = seededRandom(seed ^ 0x2545f491);
    this.defaults = options;
    resolveTimings({}, options);
  }

  /** The simulated clock (epoch ms). */
  get nowMs(): number {
    return this.now;
  }

  // ------------------------------------------------------------ setup

  /** Creates a cluster (idempotent, as CreateCluster is) and returns its ARN. */
  createCluster(name: string): string {
    const existing = this.clusters.get(name);
    if (existing) return existing.arn;
    const arn = `arn:aws:ecs:${this.region}:${this.accountId}:cluster/${name}`;
    this.clusters.set(name, { name, arn, services: new Map() });
    return arn;
  }

  /** Creates a service (and its cluster if needed) and launches its tasks. Returns the service. */
  createService(options: CreateServiceOptions): EcsService {
    this.createCluster(options.cluster);
    const cluster = this.cluster(options.cluster);
    if (cluster.services.has(options.serviceName)) {
      throw new EcsApiError('InvalidParameterException', 'Creation of service was not idempotent.');
    }
    assertDesiredCount(options.desiredCount);
    if (options.runtime && options.initialTasksRunning) {
      throw new SimulationUsageError('initialTasksRunning: a service with a task runtime launches its tasks');
    }
    const family = options.taskDefinitionFamily ?? options.serviceName;
    const service: ServiceRecord = {
      name: options.serviceName,
      arn: `arn:aws:ecs:${this.region}:${this.accountId}:service/${cluster.name}/${options.serviceName}`,
      cluster,
      family,
      containerName: options.containerName ?? 'taskmanager',
      image: `${this.accountId}.dkr.ecr.${this.region}.amazonaws.com/${family}:latest`,
      cpu: options.cpu ?? '1024',
      memory: options.memory ?? '4096',
      createdAtMs: this.now,
      timings: resolveTimings(options, this.defaults),
      ...(options.runtime ? { runtime: options.runtime } : {}),
      desiredCount: options.desiredCount,
      updatedAtMs: this.now,
      config: deploymentConfiguration(DEFAULT_DEPLOYMENT, options.deploymentConfiguration),
      deployments: [],
      events: [],
      steady: false,
      blockedScaleIn: 0,
      current: [],
    };
    service.deployments.push(this.newDeployment(this.registerTaskDefinition(family, false)));
    cluster.services.set(service.name, service);
    if (options.initialTasksRunning) {
      const primary = service.deployments[0] as DeploymentRecord;
      const started: TaskRecord[] = [];
      for (let i = 0; i < service.desiredCount; i++) started.push(this.launch(service, primary, true));
      this.reportStarted(service, started);
    }
    this.reconcile(service);
    this.flush();
    return this.serviceView(service);
  }

  /**
   * Registers the next revision of a task definition family (RegisterTaskDefinition) and returns
   * its ARN; the first registration of a family is revision 1.
   */
  registerTaskDefinition(family: string, next = true): string {
    const revision =
      (this.taskDefinitions.get(family) ?? 0) + (next || !this.taskDefinitions.has(family) ? 1 : 0);
    this.taskDefinitions.set(family, revision);
    return this.taskDefinitionArn(family, revision);
  }

  /** ListClusters: every cluster's ARN, in creation order. */
  listClusterArns(): string[] {
    return [...this.clusters.values()].map((c) => c.arn);
  }

  /** Subscribes to task state change events; returns the unsubscribe function. */
  onTaskStateChange(listener: TaskStateChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ------------------------------------------------------------ the clock

  /**
   * Advances the clock to `nowMs`, applying everything due on the way in time order.
   * Throws when asked to go back in time.
   */
  step(nowMs: number): void {
    if (!Number.isFinite(nowMs) || nowMs < this.now) {
      throw new SimulationUsageError(`time only moves forward: now is ${this.now}, asked for ${nowMs}`);
    }
    for (;;) {
      const due = this.nextDueMs();
      if (due === undefined || due > nowMs) break;
      this.now = Math.max(this.now, due);
      this.applyDue(this.now);
    }
    this.now = nowMs;
    this.flush();
  }

  /** Advances to `nowMs` if it is later than the clock; never throws for earlier times. */
  advanceTo(nowMs: number): void {
    if (nowMs > this.now) this.step(nowMs);
  }

  // ------------------------------------------------------------ simulator controls

  /** The task's essential container exits: the task is STOPPED at once and replaced. */
  kill(taskRef: string): void {
    const task = this.liveTaskForSimulation(taskRef);
    if (task.lastStatus === 'STOPPED')
      throw new SimulationUsageError(`task ${task.taskId} is already STOPPED`);
    if (task.service.runtime) {
      // The runtime kills the container; the task stops when it reports the exit (exited()).
      task.service.runtime.kill(task.taskId);
      return;
    }
    task.exitCode = 137;
    this.finishStop(task, 'Essential container in task exited', 'EssentialContainerExited');
    task.deployment.failedTasks++;
    this.reconcile(task.service);
    this.flush();
  }

  /**
   * The task hangs: it stays RUNNING, but from the next check on its container health check
   * fails. After `unhealthyThreshold` failures it is UNHEALTHY and the service replaces it.
   */
  hang(taskRef: string): void {
    const task = this.liveTaskForSimulation(taskRef);
    if (task.desiredStatus === 'STOPPED') throw new SimulationUsageError(`task ${task.taskId} is stopping`);
    if (task.hung) return;
    const runtime = task.service.runtime;
    if (runtime) {
      if (!runtime.hang) throw new SimulationUsageError(`the task runtime of ${task.taskId} cannot hang it`);
      runtime.hang(task.taskId);
    }
    task.hung = true;
    task.failedChecks = 0;
    this.scheduleHealthCheck(task);
  }

  // ------------------------------------------------------------ accessors for the simulator

  /** Snapshots of tasks in launch order; STOPPED ones only with includeStopped. */
  tasks(filter: { cluster?: string; serviceName?: string; includeStopped?: boolean } = {}): EcsTask[] {
    return this.allTasks
      .filter(
        (t) =>
          (filter.cluster === undefined || t.service.cluster.name === resourceName(filter.cluster)) &&
          (filter.serviceName === undefined || t.service.name === resourceName(filter.serviceName)) &&
          (filter.includeStopped === true || t.lastStatus !== 'STOPPED'),
      )
      .map((t) => this.taskView(t));
  }

  /** A snapshot of one task by id or ARN, or undefined. */
  task(taskRef: string): EcsTask | undefined {
    const task = this.tasksById.get(resourceName(taskRef));
    return task ? this.taskView(task) : undefined;
  }

  /** Ids of the tasks whose lastStatus is RUNNING, in launch order. */
  runningTaskIds(filter: { cluster?: string; serviceName?: string } = {}): string[] {
    return this.tasks(filter)
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.taskId);
  }

  serviceCounts(cluster: string, serviceName: string): ServiceCounts {
    const { desiredCount, runningCount, pendingCount } = this.describeService(cluster, serviceName);
    return { desiredCount, runningCount, pendingCount };
  }

  // ------------------------------------------------------------ the API (as ECS answers it)

  /** Throws ClusterNotFoundException / ServiceNotFoundException. */
  describeService(clusterRef: string, serviceRef: string): EcsService {
    return this.serviceView(this.service(clusterRef, serviceRef));
  }

  /** Undefined for an unknown service (DescribeServices reports it as a MISSING failure). */
  findService(clusterRef: string, serviceRef: string): EcsService | undefined {
    const service = this.cluster(clusterRef).services.get(resourceName(serviceRef));
    return service ? this.serviceView(service) : undefined;
  }

  serviceArn(clusterRef: string, serviceRef: string): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:service/${this.cluster(clusterRef).name}/${resourceName(serviceRef)}`;
  }

  clusterArn(clusterRef: string): string {
    return this.cluster(clusterRef).arn;
  }

  taskArn(clusterRef: string, taskRef: string): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task/${this.cluster(clusterRef).name}/${resourceName(taskRef)}`;
  }

  /**
   * UpdateService: a new desiredCount rescales the PRIMARY deployment; a new task definition or
   * forceNewDeployment starts a rolling deployment (a new PRIMARY, the old one ACTIVE until its
   * tasks are replaced within minimumHealthyPercent and maximumPercent).
   */
  updateService(clusterRef: string, serviceRef: string, update: UpdateServiceInput): EcsService {
    const service = this.service(clusterRef, serviceRef);
    if (update.desiredCount !== undefined) assertDesiredCount(update.desiredCount);
    const config = deploymentConfiguration(service.config, update.deploymentConfiguration);
    const taskDefinitionArn =
      update.taskDefinition === undefined ? undefined : this.resolveTaskDefinition(update.taskDefinition);
    const primary = service.deployments[0] as DeploymentRecord;
    service.config = config;
    if (update.desiredCount !== undefined) service.desiredCount = update.desiredCount;
    service.updatedAtMs = this.now;
    if (
      update.forceNewDeployment === true ||
      (taskDefinitionArn !== undefined && taskDefinitionArn !== primary.taskDefinitionArn)
    ) {
      service.deployments.unshift(this.newDeployment(taskDefinitionArn ?? primary.taskDefinitionArn));
      service.steady = false;
    }
    this.reconcile(service);
    this.flush();
    return this.serviceView(service);
  }

  /** Task ARNs in launch order, as ListTasks filters them (desiredStatus defaults to RUNNING). */
  listTaskArns(
    clusterRef: string,
    filter: { serviceName?: string; desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED' } = {},
  ): string[] {
    const cluster = this.cluster(clusterRef);
    const serviceName = filter.serviceName === undefined ? undefined : resourceName(filter.serviceName);
    if (serviceName !== undefined && !cluster.services.has(serviceName)) {
      throw new EcsApiError('ServiceNotFoundException', 'Service not found.');
    }
    const desired = filter.desiredStatus ?? 'RUNNING';
    return this.allTasks
      .filter(
        (t) =>
          t.service.cluster === cluster &&
          (serviceName === undefined || t.service.name === serviceName) &&
          t.desiredStatus === desired &&
          this.visible(t) &&
          this.now - t.createdAtMs >= t.service.timings.listLagMs,
      )
      .map((t) => t.taskArn);
  }

  /** A task of the cluster as DescribeTasks sees it (STOPPED tasks vanish after retention). */
  describeTask(clusterRef: string, taskRef: string): EcsTask | undefined {
    const cluster = this.cluster(clusterRef);
    const task = this.tasksById.get(resourceName(taskRef));
    return task && task.service.cluster === cluster && this.visible(task) ? this.taskView(task) : undefined;
  }

  /** StopTask: a graceful stop by the user; the service launches a replacement. */
  stopTask(clusterRef: string, taskRef: string, reason?: string): EcsTask {
    const cluster = this.cluster(clusterRef);
    const task = this.tasksById.get(resourceName(taskRef));
    if (!task || task.service.cluster !== cluster || !this.visible(task)) {
      throw new EcsApiError('InvalidParameterException', 'The referenced task was not found.');
    }
    if (reason !== undefined && reason.length > 255) {
      throw new EcsApiError('InvalidParameterException', 'Reason must be at most 255 characters.');
    }
    if (task.desiredStatus === 'RUNNING') {
      this.beginStop(task, reason ?? 'Task stopped by user', 'UserInitiated');
      this.reconcile(task.service);
      this.flush();
    }
    return this.taskView(task);
  }

  updateTaskProtection(
    clusterRef: string,
    taskRefs: readonly string[],
    protectionEnabled: boolean,
    expiresInMinutes?: number,
  ): { protectedTasks: TaskProtection[]; failures: EcsFailure[] } {
    const cluster = this.cluster(clusterRef);
    if (taskRefs.length === 0 || taskRefs.length > MAX_PROTECTION_TASKS) {
      throw new EcsApiError(
        'InvalidParameterException',
        `Tasks must contain between 1 and ${MAX_PROTECTION_TASKS} task IDs or ARNs.`,
      );
    }
    const minutes = expiresInMinutes ?? DEFAULT_PROTECTION_MINUTES;
    if (
      protectionEnabled &&
      (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_PROTECTION_MINUTES)
    ) {
      throw new EcsApiError(
        'InvalidParameterException',
        `expiresInMinutes must be between 1 and ${MAX_PROTECTION_MINUTES} minutes.`,
      );
    }
    const protectedTasks: TaskProtection[] = [];
    const failures: EcsFailure[] = [];
    const touched = new Set<ServiceRecord>();
    for (const ref of taskRefs) {
      const task = this.tasksById.get(resourceName(ref));
      if (!task || task.service.cluster !== cluster || !this.visible(task)) {
        failures.push({ arn: this.arnForRef(cluster, ref), reason: 'MISSING' });
        continue;
      }
      if (task.desiredStatus !== 'RUNNING') {
        failures.push({
          arn: task.taskArn,
          reason: 'TASK_NOT_VALID',
          detail: 'The task is stopping or stopped.',
        });
        continue;
      }
      task.protectedUntilMs = protectionEnabled ? this.now + minutes * 60_000 : undefined;
      touched.add(task.service);
      protectedTasks.push(this.protectionView(task));
    }
    for (const service of touched) this.reconcile(service);
    this.flush();
    return { protectedTasks, failures };
  }

  /** GetTaskProtection; without task references, every live task of the cluster. */
  getTaskProtection(
    clusterRef: string,
    taskRefs?: readonly string[],
  ): { protectedTasks: TaskProtection[]; failures: EcsFailure[] } {
    const cluster = this.cluster(clusterRef);
    if (taskRefs === undefined) {
      const live = this.allTasks.filter(
        (t) => t.service.cluster === cluster && t.desiredStatus === 'RUNNING',
      );
      return { protectedTasks: live.map((t) => this.protectionView(t)), failures: [] };
    }
    const protectedTasks: TaskProtection[] = [];
    const failures: EcsFailure[] = [];
    for (const ref of taskRefs) {
      const task = this.tasksById.get(resourceName(ref));
      if (!task || task.service.cluster !== cluster || !this.visible(task)) {
        failures.push({ arn: this.arnForRef(cluster, ref), reason: 'MISSING' });
      } else {
        protectedTasks.push(this.protectionView(task));
      }
    }
    return { protectedTasks, failures };
  }

  // ------------------------------------------------------------ internals: lookup

  private cluster(ref: string): ClusterRecord {
    const cluster = this.clusters.get(resourceName(ref));
    if (!cluster) throw new EcsApiError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private service(clusterRef: string, serviceRef: string): ServiceRecord {
    const service = this.cluster(clusterRef).services.get(resourceName(serviceRef));
    if (!service) throw new EcsApiError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  private liveTaskForSimulation(taskRef: string): TaskRecord {
    const task = this.tasksById.get(resourceName(taskRef));
    if (!task) throw new SimulationUsageError(`unknown task ${taskRef}`);
    return task;
  }

  private arnForRef(cluster: ClusterRecord, ref: string): string {
    return ref.startsWith('arn:')
      ? ref
      : `arn:aws:ecs:${this.region}:${this.accountId}:task/${cluster.name}/${ref}`;
  }

  private visible(task: TaskRecord): boolean {
    return task.stoppedAtMs === undefined || this.now - task.stoppedAtMs <= this.retentionMs;
  }

  // ------------------------------------------------------------ internals: the scheduler

  private *currentTasks(): Generator<TaskRecord> {
    for (const cluster of this.clusters.values()) {
      for (const service of cluster.services.values()) yield* service.current;
    }
  }

  private nextDueMs(): number | undefined {
    let min: number | undefined;
    for (const task of this.currentTasks()) {
      const due = this.taskDueMs(task);
      if (due !== undefined && (min === undefined || due < min)) min = due;
    }
    return min;
  }

  private taskDueMs(task: TaskRecord): number | undefined {
    if (task.desiredStatus === 'STOPPED') return task.stopDueAtMs;
    const transition =
      task.lastStatus === 'PROVISIONING'
        ? task.pendingAtMs
        : task.lastStatus === 'PENDING'
          ? task.runningAtMs
          : task.nextHealthCheckAtMs;
    return minDefined([transition, task.protectedUntilMs]);
  }

  private applyDue(at: number): void {
    const touched = new Set<ServiceRecord>();
    for (const task of [...this.currentTasks()]) {
      const due = this.taskDueMs(task);
      if (due === undefined || due > at) continue;
      touched.add(task.service);
      this.applyTaskDue(task, at);
    }
    for (const service of touched) this.reconcile(service);
  }

  private applyTaskDue(task: TaskRecord, at: number): void {
    if (task.protectedUntilMs !== undefined && task.protectedUntilMs <= at) task.protectedUntilMs = undefined;
    if (task.desiredStatus === 'STOPPED') {
      if (task.stopDueAtMs !== undefined && task.stopDueAtMs <= at) this.completeStop(task);
      return;
    }
    if (task.lastStatus === 'PROVISIONING' && task.pendingAtMs <= at) {
      task.lastStatus = 'PENDING';
      task.connectivityAtMs = task.pendingAtMs;
      task.pullStartedAtMs = task.pendingAtMs;
      this.changed(task);
    }
    if (task.lastStatus === 'PENDING' && task.runningAtMs <= at) {
      this.markRunning(task, task.runningAtMs);
      this.changed(task);
      return;
    }
    if (
      task.lastStatus === 'RUNNING' &&
      task.nextHealthCheckAtMs !== undefined &&
      task.nextHealthCheckAtMs <= at
    ) {
      this.healthCheck(task, at);
    }
  }

  private markRunning(task: TaskRecord, at: number): void {
    task.lastStatus = 'RUNNING';
    task.containerStatus = 'RUNNING';
    task.startedAtMs = at;
    task.pullStoppedAtMs = at;
    task.connectivityAtMs ??= at;
    task.pullStartedAtMs ??= at;
    task.failedChecks = 0;
    this.scheduleHealthCheck(task);
  }

  /** The next check on the grid startedAt + k·interval strictly after now, if one matters. */
  private scheduleHealthCheck(task: TaskRecord): void {
    const timings = task.service.timings;
    if (!timings.healthCheck || task.lastStatus !== 'RUNNING' || task.startedAtMs === undefined) {
      task.nextHealthCheckAtMs = undefined;
      return;
    }
    const needed = task.hung || task.healthStatus !== 'HEALTHY';
    if (!needed) {
      task.nextHealthCheckAtMs = undefined;
      return;
    }
    const interval = timings.healthIntervalMs;
    const k = Math.floor((this.now - task.startedAtMs) / interval) + 1;
    task.nextHealthCheckAtMs = task.startedAtMs + Math.max(1, k) * interval;
  }

  private healthCheck(task: TaskRecord, at: number): void {
    const timings = task.service.timings;
    task.nextHealthCheckAtMs = undefined;
    // A change of health alone is no task state change: no event, no new version (health is
    // visible in DescribeTasks only). The scheduler reacts to it in reconcile.
    if (!task.hung) {
      task.failedChecks = 0;
      task.healthStatus = 'HEALTHY';
      return;
    }
    task.failedChecks++;
    if (task.failedChecks < timings.unhealthyThreshold) {
      task.nextHealthCheckAtMs = at + timings.healthIntervalMs;
      return;
    }
    if (task.healthStatus !== 'UNHEALTHY') task.deployment.failedTasks++;
    task.healthStatus = 'UNHEALTHY';
  }

  /**
   * The service scheduler. Tasks to retire are those of older deployments and UNHEALTHY ones;
   * the rest (the PRIMARY deployment's) are kept up to desiredCount. Without tasks to retire,
   * the missing are launched and surplus unprotected tasks stopped, Availability Zones kept
   * balanced. With some, the rolling rules apply: a replacement starts first while the total
   * stays within maximumPercent; an UNHEALTHY task stops once the kept tasks that are healthy
   * cover desiredCount (or, when maximumPercent leaves no room, one at a time to make room);
   * a healthy old-deployment task stops while the healthy count stays at or above
   * minimumHealthyPercent. Protected tasks are never stopped by scale-in or a deployment.
   */
  private reconcile(service: ServiceRecord): void {
    const primary = service.deployments[0] as DeploymentRecord;
    const desired = service.desiredCount;
    const live = service.current.filter((t) => t.desiredStatus === 'RUNNING');
    const retiring = (t: TaskRecord) => t.deployment !== primary || t.healthStatus === 'UNHEALTHY';
    const kept = live.filter((t) => !retiring(t));
    const retire = live.filter(retiring);
    const unprotected = (t: TaskRecord) => !isProtected(t, this.now);
    const stopped: TaskRecord[] = [];
    const stop = (task: TaskRecord, reason: string) => {
      stopped.push(task);
      this.beginStop(task, reason, 'ServiceSchedulerInitiated');
    };
    const scaling = `Scaling activity initiated by (deployment ${primary.id})`;

    if (kept.length > desired) {
      const victims = balancedVictims(this.zones(), kept, unprotected, kept.length - desired);
      for (const t of victims) stop(t, scaling);
      this.reportBlockedScaleIn(service, kept.length - desired - victims.length);
    } else {
      this.reportBlockedScaleIn(service, 0);
    }
    if (retire.length > 0) {
      const maxTotal = Math.floor((desired * service.config.maximumPercent) / 100);
      const minHealthy = Math.ceil((desired * service.config.minimumHealthyPercent) / 100);
      const serving = (t: TaskRecord) =>
        t.lastStatus === 'RUNNING' && (!service.timings.healthCheck || t.healthStatus === 'HEALTHY');
      let healthy = live.filter((t) => serving(t) && !stopped.includes(t)).length;
      const keptHealthy = kept.filter((t) => serving(t) && !stopped.includes(t)).length;
      for (const t of [...retire].sort(scaleInOrder)) {
        if (t.healthStatus === 'UNHEALTHY') {
          if (keptHealthy >= desired) stop(t, 'Task failed container health checks');
        } else if (!unprotected(t)) {
          // A deployment waits for a protected task's protection to end.
        } else if (!serving(t)) {
          stop(t, `Deployment ${primary.id} replaced the task`);
        } else if (keptHealthy >= desired || healthy - 1 >= minHealthy) {
          healthy--;
          stop(t, `Deployment ${primary.id} replaced the task`);
        }
      }
      const keptLive = kept.filter((t) => !stopped.includes(t)).length;
      const liveNow = live.length - stopped.length;
      if (keptLive < desired && liveNow >= maxTotal) {
        // No room to start a replacement first: stop one unhealthy task to make room.
        const room = retire.find((t) => t.healthStatus === 'UNHEALTHY' && !stopped.includes(t));
        if (room) stop(room, 'Task failed container health checks');
      }
    }
    this.reportStopped(service, stopped);
    const liveNow = live.length - stopped.length;
    const keptLive = kept.filter((t) => !stopped.includes(t)).length;
    const room =
      retire.length > 0
        ? Math.floor((desired * service.config.maximumPercent) / 100) - liveNow
        : Number.POSITIVE_INFINITY;
    const launches = Math.max(0, Math.min(desired - keptLive, room));
    const started: TaskRecord[] = [];
    for (let i = 0; i < launches; i++) started.push(this.launch(service, primary, false));
    this.reportStarted(service, started);
    this.settleDeployments(service);
  }

  /** Drops drained deployments, completes the PRIMARY's rollout, reports a steady state. */
  private settleDeployments(service: ServiceRecord): void {
    const primary = service.deployments[0] as DeploymentRecord;
    const remaining = service.deployments.filter(
      (d) => d === primary || service.current.some((t) => t.deployment === d),
    );
    if (remaining.length !== service.deployments.length) service.deployments = remaining;
    const running = service.current.filter(
      (t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
    );
    const settled =
      service.deployments.length === 1 &&
      service.current.every((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING') &&
      running.length === service.desiredCount &&
      running.every((t) => t.healthStatus !== 'UNHEALTHY');
    if (settled && primary.rolloutState === 'IN_PROGRESS') {
      primary.rolloutState = 'COMPLETED';
      primary.updatedAtMs = this.now;
      this.serviceEvent(
        service,
        `(service ${service.name}) (deployment ${primary.id}) deployment completed.`,
      );
    }
    if (settled && !service.steady)
      this.serviceEvent(service, `(service ${service.name}) has reached a steady state.`);
    service.steady = settled;
  }

  private reportStarted(service: ServiceRecord, tasks: readonly TaskRecord[]): void {
    if (tasks.length === 0) return;
    service.steady = false;
    const list = tasks.map((t) => `(task ${t.taskId})`).join(' ');
    this.serviceEvent(service, `(service ${service.name}) has started ${tasks.length} tasks: ${list}.`);
  }

  private reportStopped(service: ServiceRecord, tasks: readonly TaskRecord[]): void {
    if (tasks.length === 0) return;
    service.steady = false;
    const list = tasks.map((t) => `(task ${t.taskId})`).join(' ');
    this.serviceEvent(
      service,
      `(service ${service.name}) has stopped ${tasks.length} running tasks: ${list}.`,
    );
  }

  private reportBlockedScaleIn(service: ServiceRecord, protectedSurplus: number): void {
    if (protectedSurplus > 0 && protectedSurplus !== service.blockedScaleIn) {
      this.serviceEvent(
        service,
        `(service ${service.name}) was unable to scale in due to (reason: ${protectedSurplus} tasks under protection).`,
      );
    }
    service.blockedScaleIn = protectedSurplus;
  }

  private serviceEvent(service: ServiceRecord, message: string): void {
    service.events.unshift({ id: randomUuid(this.serviceEventIds), createdAtMs: this.now, message });
    if (service.events.length > MAX_SERVICE_EVENTS) service.events.length = MAX_SERVICE_EVENTS;
  }

  private newDeployment(taskDefinitionArn: string): DeploymentRecord {
    return {
      id: `ecs-svc/${randomDigits(this.ids, 19)}`,
      taskDefinitionArn,
      createdAtMs: this.now,
      updatedAtMs: this.now,
      rolloutState: 'IN_PROGRESS',
      failedTasks: 0,
    };
  }

  private taskDefinitionArn(family: string, revision: number): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:task-definition/${family}:${revision}`;
  }

  /** A registered task definition's ARN, from an ARN, `family:revision` or `family`. */
  private resolveTaskDefinition(ref: string): string {
    const name = ref.startsWith('arn:') ? resourceName(ref) : ref;
    const [family = '', revisionText] = name.split(':');
    const latest = this.taskDefinitions.get(family);
    const revision = revisionText === undefined ? latest : Number(revisionText);
    if (
      latest === undefined ||
      revision === undefined ||
      !Number.isInteger(revision) ||
      revision < 1 ||
      revision > latest
    ) {
      throw new EcsApiError('ClientException', 'TaskDefinition not found.');
    }
    return this.taskDefinitionArn(family, revision);
  }

  private zones(): string[] {
    return AVAILABILITY_ZONES.map((z) => `${this.region}${z}`);
  }

  /** Launches a task of `deployment` in the Availability Zone with the fewest of the service's tasks. */
  private launch(service: ServiceRecord, deployment: DeploymentRecord, alreadyRunning: boolean): TaskRecord {
    const taskId = randomTaskId(this.ids);
    const seq = this.seq++;
    const timings = service.timings;
    const counts = zoneCounts(
      this.zones(),
      service.current.filter((t) => t.desiredStatus === 'RUNNING'),
    );
    const fewest = Math.min(...counts.values());
    const zone = [...counts.entries()].find(([, n]) => n === fewest)?.[0] ?? `${this.region}a`;
    const task: TaskRecord = {
      seq,
      taskId,
      taskArn: `arn:aws:ecs:${this.region}:${this.accountId}:task/${service.cluster.name}/${taskId}`,
      service,
      deployment,
      availabilityZone: zone,
      createdAtMs: this.now,
      // A runtime's task moves on when the runtime reports it (never by the clock).
      pendingAtMs: service.runtime
        ? Number.POSITIVE_INFINITY
        : alreadyRunning
          ? this.now
          : this.now + timings.provisioningMs,
      runningAtMs: service.runtime
        ? Number.POSITIVE_INFINITY
        : alreadyRunning
          ? this.now
          : this.now + timings.startupMs,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      containerStatus: 'PENDING',
      updatedAtMs: this.now,
      version: 0,
      hung: false,
      failedChecks: 0,
    };
    this.tasksById.set(taskId, task);
    this.allTasks.push(task);
    service.current.push(task);
    if (alreadyRunning) {
      this.markRunning(task, this.now);
      if (timings.healthCheck) task.healthStatus = 'HEALTHY';
      this.scheduleHealthCheck(task);
    }
    this.changed(task);
    service.runtime?.start(
      {
        taskId,
        taskArn: task.taskArn,
        clusterName: service.cluster.name,
        serviceName: service.name,
        containerName: service.containerName,
      },
      this.lifecycle(task),
    );
    return task;
  }

  /**
   * The reports of a runtime on one task. Each is applied in an event-loop turn of its own
   * (never inside the model call that launched or stopped the task, and a runtime whose tasks
   * fail at once cannot starve the event loop), at the reported instant or the model's clock
   * if that is later, followed by the service scheduler and the events.
   */
  private lifecycle(task: TaskRecord): TaskLifecycle {
    const apply = (atMs: number, change: () => boolean): void => {
      setImmediate(() => {
        if (task.lastStatus === 'STOPPED') return;
        this.advanceTo(atMs);
        if (!change()) return;
        this.reconcile(task.service);
        this.flush();
      });
    };
    return {
      pending: (atMs) =>
        apply(atMs, () => {
          if (task.lastStatus !== 'PROVISIONING' || task.desiredStatus !== 'RUNNING') return false;
          task.lastStatus = 'PENDING';
          task.connectivityAtMs = this.now;
          task.pullStartedAtMs = this.now;
          this.changed(task);
          return true;
        }),
      running: (atMs) =>
        apply(atMs, () => {
          if (task.lastStatus === 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
          this.markRunning(task, this.now);
          this.changed(task);
          return true;
        }),
      exited: (exitCode, atMs) =>
        apply(atMs, () => {
          task.exitCode = exitCode;
          if (task.desiredStatus === 'RUNNING') {
            // Nobody asked it to stop: the essential container exited by itself.
            this.finishStop(task, 'Essential container in task exited', 'EssentialContainerExited');
            task.deployment.failedTasks++;
          } else {
            this.completeStop(task);
          }
          return true;
        }),
    };
  }

  /** A graceful stop: desiredStatus STOPPED now, lastStatus STOPPED after stopSeconds. */
  private beginStop(task: TaskRecord, reason: string, stopCode: StopCode): void {
    const runtime = task.service.runtime;
    if (runtime) {
      // SIGTERM now, SIGKILL after the stop timeout: STOPPED when the runtime reports the exit.
      task.desiredStatus = 'STOPPED';
      task.stoppingAtMs = this.now;
      task.stoppedReason = reason;
      task.stopCode = stopCode;
      task.nextHealthCheckAtMs = undefined;
      this.changed(task);
      runtime.stop(task.taskId, task.service.timings.stopTimeoutSeconds);
      return;
    }
    const stopMs = task.service.timings.stopMs;
    if (stopMs === 0) {
      task.exitCode = task.lastStatus === 'RUNNING' ? 143 : undefined;
      this.finishStop(task, reason, stopCode);
      return;
    }
    task.desiredStatus = 'STOPPED';
    task.stoppingAtMs = this.now;
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.stopDueAtMs = this.now + stopMs;
    task.nextHealthCheckAtMs = undefined;
    this.changed(task);
  }

  /** Straight to STOPPED (a crash, or a stop with no grace period). */
  private finishStop(task: TaskRecord, reason: string, stopCode: StopCode): void {
    task.desiredStatus = 'STOPPED';
    task.stoppingAtMs ??= this.now;
    task.stoppedReason ??= reason;
    task.stopCode ??= stopCode;
    this.completeStop(task);
  }

  private completeStop(task: TaskRecord): void {
    if (task.exitCode === undefined && task.lastStatus === 'RUNNING') task.exitCode = 143;
    task.lastStatus = 'STOPPED';
    task.containerStatus = 'STOPPED';
    task.stoppedAtMs = this.now;
    task.stopDueAtMs = undefined;
    task.nextHealthCheckAtMs = undefined;
    task.protectedUntilMs = undefined;
    task.service.current = task.service.current.filter((t) => t !== task);
    this.changed(task);
  }

  // ------------------------------------------------------------ internals: events and views

  private changed(task: TaskRecord): void {
    task.version++;
    task.updatedAtMs = this.now;
    this.outbox.push(
      taskStateChangeEvent(this.taskView(task), {
        id: randomUuid(this.eventIds),
        account: this.accountId,
        region: this.region,
      }),
    );
  }

  /** Delivers queued events; a listener that changes the model only queues more. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let event = this.outbox.shift(); event !== undefined; event = this.outbox.shift()) {
        for (const listener of [...this.listeners]) listener(event);
      }
    } finally {
      this.flushing = false;
    }
  }

  private taskView(task: TaskRecord): EcsTask {
    const service = task.service;
    return {
      taskId: task.taskId,
      taskArn: task.taskArn,
      clusterName: service.cluster.name,
      clusterArn: service.cluster.arn,
      serviceName: service.name,
      group: `service:${service.name}`,
      startedBy: task.deployment.id,
      taskDefinitionArn: task.deployment.taskDefinitionArn,
      availabilityZone: task.availabilityZone,
      platformVersion: PLATFORM_VERSION,
      cpu: service.cpu,
      memory: service.memory,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      healthStatus: task.healthStatus,
      createdAtMs: task.createdAtMs,
      updatedAtMs: task.updatedAtMs,
      connectivityAtMs: task.connectivityAtMs,
      pullStartedAtMs: task.pullStartedAtMs,
      pullStoppedAtMs: task.pullStoppedAtMs,
      startedAtMs: task.startedAtMs,
      stoppingAtMs: task.stoppingAtMs,
      stoppedAtMs: task.stoppedAtMs,
      stoppedReason: task.stoppedReason,
      stopCode: task.stopCode,
      version: task.version,
      hung: task.hung,
      protectedUntilMs: isProtected(task, this.now) ? task.protectedUntilMs : undefined,
      containers: [
        {
          name: service.containerName,
          containerArn: `arn:aws:ecs:${this.region}:${this.accountId}:container/${service.cluster.name}/${task.taskId}/${service.containerName}`,
          image: service.image,
          lastStatus: task.containerStatus,
          healthStatus: task.healthStatus,
          exitCode: task.exitCode,
        },
      ],
    };
  }

  private protectionView(task: TaskRecord): TaskProtection {
    return isProtected(task, this.now)
      ? { taskArn: task.taskArn, protectionEnabled: true, expirationDateMs: task.protectedUntilMs }
      : { taskArn: task.taskArn, protectionEnabled: false };
  }

  private serviceView(service: ServiceRecord): EcsService {
    let runningCount = 0;
    let pendingCount = 0;
    for (const task of service.current) {
      if (task.lastStatus === 'RUNNING') runningCount++;
      else if (task.desiredStatus === 'RUNNING') pendingCount++;
    }
    const primary = service.deployments[0] as DeploymentRecord;
    const deployments = service.deployments.map((d): EcsDeployment => {
      let running = 0;
      let pending = 0;
      let wanted = 0;
      for (const task of service.current) {
        if (task.deployment !== d) continue;
        if (task.lastStatus === 'RUNNING') running++;
        else if (task.desiredStatus === 'RUNNING') pending++;
        if (task.desiredStatus === 'RUNNING') wanted++;
      }
      return {
        id: d.id,
        status: d === primary ? 'PRIMARY' : 'ACTIVE',
        rolloutState: d.rolloutState,
        rolloutStateReason:
          d.rolloutState === 'COMPLETED'
            ? `ECS deployment ${d.id} completed.`
            : `ECS deployment ${d.id} in progress.`,
        taskDefinitionArn: d.taskDefinitionArn,
        desiredCount: d === primary ? service.desiredCount : wanted,
        runningCount: running,
        pendingCount: pending,
        failedTasks: d.failedTasks,
        createdAtMs: d.createdAtMs,
        updatedAtMs: d.updatedAtMs,
      };
    });
    return {
      serviceName: service.name,
      serviceArn: service.arn,
      clusterName: service.cluster.name,
      clusterArn: service.cluster.arn,
      status: 'ACTIVE',
      desiredCount: service.desiredCount,
      runningCount,
      pendingCount,
      taskDefinitionArn: primary.taskDefinitionArn,
      createdAtMs: service.createdAtMs,
      platformVersion: PLATFORM_VERSION,
      deployments,
      deploymentConfiguration: service.config,
      events: [...service.events],
    };
  }
}

/** A deployment configuration with `update` applied, checked as UpdateService checks it. */
function deploymentConfiguration(
  base: DeploymentConfiguration,
  update: Partial<DeploymentConfiguration> | undefined,
): DeploymentConfiguration {
  const out = {
    ...base,
    ...Object.fromEntries(Object.entries(update ?? {}).filter(([, v]) => v !== undefined)),
  };
  if (
    !Number.isInteger(out.minimumHealthyPercent) ||
    out.minimumHealthyPercent < 0 ||
    out.minimumHealthyPercent > 100
  ) {
    throw new EcsApiError(
      'InvalidParameterException',
      'deploymentConfiguration.minimumHealthyPercent must be an integer from 0 to 100.',
    );
  }
  if (!Number.isInteger(out.maximumPercent) || out.maximumPercent < 100) {
    throw new EcsApiError(
      'InvalidParameterException',
      'deploymentConfiguration.maximumPercent must be an integer of at least 100.',
    );
  }
  return out;
}

function assertDesiredCount(desiredCount: number): void {
  if (!Number.isInteger(desiredCount) || desiredCount < 0) {
    throw new EcsApiError('InvalidParameterException', 'desiredCount must be a non-negative integer.');
  }
}
