/**
 * The few calls of Flink's REST API (the JobManager's web UI port) a real-Flink run reads:
 * which TaskManagers are registered (by resource id: the ECS task id), the job's vertices
 * with their parallelism and subtask states, its failures and checkpoints.
 */

export interface RestTaskManager {
  /** The resource id as given (`taskmanager.resource-id`), unfiltered: `-` stays `-` here, unlike Prometheus's tm_id. */
  readonly id: string;
  readonly slotsNumber: number;
  readonly freeSlots: number;
}

export interface RestVertex {
  readonly name: string;
  readonly parallelism: number;
  /** Subtask counts by state (RUNNING, DEPLOYING, INITIALIZING, …). */
  readonly tasks: Readonly<Record<string, number>>;
}

export interface RestJob {
  readonly jid: string;
  readonly name: string;
  readonly state: string;
  readonly vertices: readonly RestVertex[];
  /** Job status → epoch ms of the current execution graph's transition into it (CREATED, RUNNING, …). */
  readonly timestamps: Readonly<Record<string, number>>;
}

/** What a poller needs of the job at a glance. */
export interface JobView {
  readonly jid: string;
  readonly name: string;
  readonly state: string;
  /** The smallest vertex parallelism (one vertex in the chained job). */
  readonly parallelism: number;
  readonly runningSubtasks: number;
  readonly totalSubtasks: number;
  /** RUNNING with every subtask RUNNING: the job is processing. */
  readonly processing: boolean;
  readonly createdAtMs: number;
}

export class FlinkRest {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 3000,
  ) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  async overview(): Promise<{ taskmanagers: number; 'slots-total': number; 'flink-version': string }> {
    return this.get('/overview');
  }

  async taskManagers(): Promise<RestTaskManager[]> {
    const body = await this.get<{ taskmanagers: RestTaskManager[] }>('/taskmanagers');
    return body.taskmanagers;
  }

  async jobIds(): Promise<string[]> {
    const body = await this.get<{ jobs: { jid: string; state: string }[] }>('/jobs/overview');
    return body.jobs.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state)).map((j) => j.jid);
  }

  async job(jid: string): Promise<RestJob> {
    return this.get(`/jobs/${jid}`);
  }

  /** The job at a glance, or undefined when the JobManager runs none (yet). */
  async jobView(): Promise<JobView | undefined> {
    const [jid] = await this.jobIds();
    if (jid === undefined) return undefined;
    const job = await this.job(jid);
    const running = job.vertices.reduce((n, v) => n + (v.tasks.RUNNING ?? 0), 0);
    const total = job.vertices.reduce((n, v) => n + v.parallelism, 0);
    return {
      jid,
      name: job.name,
      state: job.state,
      parallelism: Math.min(...job.vertices.map((v) => v.parallelism)),
      runningSubtasks: running,
      totalSubtasks: total,
      processing: job.state === 'RUNNING' && total > 0 && running === total,
      createdAtMs: job.timestamps.CREATED ?? 0,
    };
  }

  /** The newest failures the JobManager recorded: their time and exception name. */
  async exceptions(jid: string, max = 5): Promise<{ timestamp: number; exceptionName: string }[]> {
    const body = await this.get<{
      exceptionHistory: { entries: { timestamp: number; exceptionName: string }[] };
    }>(`/jobs/${jid}/exceptions?maxExceptions=${max}`);
    return body.exceptionHistory.entries;
  }

  /** The latest completed and restored checkpoints. */
  async checkpoints(jid: string): Promise<{
    completed?: { id: number; latest_ack_timestamp: number; end_to_end_duration: number };
    restored?: { id: number; restore_timestamp: number };
  }> {
    const body = await this.get<{
      latest: {
        completed: { id: number; latest_ack_timestamp: number; end_to_end_duration: number } | null;
        restored: { id: number; restore_timestamp: number } | null;
      };
    }>(`/jobs/${jid}/checkpoints`);
    return {
      ...(body.latest.completed ? { completed: body.latest.completed } : {}),
      ...(body.latest.restored ? { restored: body.latest.restored } : {}),
    };
  }
}
