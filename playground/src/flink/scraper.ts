/**
 * The CloudWatch agent sidecar of every real TaskManager: each RUNNING task's Prometheus
 * endpoint is scraped every `scrapeIntervalSeconds` (each target at its own offset within the
 * interval, on a fixed grid, each scrape stamped with its slot), and the scrape goes through the playground collector
 * (playground/src/collector.ts: the agent's relabelling, metric declarations and dimension
 * sets, and its flush + CloudWatch's ingestion delay) into the local CloudWatch.
 *
 * When the product's metric period is below 60 s, CloudWatch's GetMetricData returns
 * sub-minute periods (10/20/30 s) only for high-resolution data, so the datums are put with
 * StorageResolution 1 then (the agent's `high_resolution` setting); otherwise with the
 * standard 60.
 *
 * The latest raw scrape of each TaskManager is kept, for comparing what the presets see with
 * the truth (presetView).
 */

import type { FlinkMetricsDefinition } from 'flink-ecs-autoscaler/lib/core/flink-metrics';
import type { LocalCloud } from '../cloud/local-cloud';
import { CloudWatchAgent, parsePrometheusText } from '../collector';
import type { PrometheusSample } from '../model/metrics';

export interface ScrapeTarget {
  readonly taskId: string;
  readonly url: string;
}

export interface ScraperOptions {
  readonly cloud: LocalCloud;
  readonly agent: FlinkMetricsDefinition;
  /** Seconds from the agent's flush to visibility in GetMetricData. */
  readonly ingestionDelaySeconds: number;
  /** StorageResolution 1 (the product's period is below 60 s). */
  readonly highResolution: boolean;
  /** The targets to scrape now (RUNNING TaskManagers with a Prometheus endpoint). */
  readonly targets: () => readonly ScrapeTarget[];
  readonly log?: (line: string) => void;
}

export interface TaskManagerScrape {
  readonly taskId: string;
  readonly atMs: number;
  readonly samples: readonly PrometheusSample[];
}

const TICK_MS = 100;

/** The target's offset within the interval: a hash of its id (Prometheus spreads targets the same way). */
function offsetMs(taskId: string, intervalMs: number): number {
  let h = 0;
  for (let i = 0; i < taskId.length; i++) h = (Math.imul(h, 31) + taskId.charCodeAt(i)) | 0;
  return (h >>> 0) % intervalMs;
}

export class PrometheusScraper {
  readonly agent: CloudWatchAgent;
  private readonly next = new Map<string, number>();
  private readonly latestScrapes = new Map<string, TaskManagerScrape>();
  private timer: NodeJS.Timeout | undefined;
  /** Scrapes done and failed, datums put. */
  readonly counts = { scrapes: 0, failures: 0, datums: 0 };

  constructor(private readonly options: ScraperOptions) {
    this.agent = new CloudWatchAgent(options.agent, { ingestionDelaySeconds: options.ingestionDelaySeconds });
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest scrape of every TaskManager still scraped. */
  latest(): TaskManagerScrape[] {
    return [...this.latestScrapes.values()];
  }

  /** Scrapes every target now, outside the schedule (nothing goes to CloudWatch); for a measurement at a given instant. */
  async scrapeAllNow(): Promise<TaskManagerScrape[]> {
    const out = await Promise.all(
      this.options.targets().map(async (t): Promise<TaskManagerScrape | undefined> => {
        const samples = await this.read(t.url).catch(() => undefined);
        return samples ? { taskId: t.taskId, atMs: Date.now(), samples } : undefined;
      }),
    );
    return out.filter((s): s is TaskManagerScrape => s !== undefined);
  }

  private async read(url: string): Promise<PrometheusSample[]> {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return parsePrometheusText(await res.text());
  }

  private tick(): void {
    const now = Date.now();
    const intervalMs = this.options.agent.scrapeIntervalSeconds * 1000;
    const targets = this.options.targets();
    const ids = new Set(targets.map((t) => t.taskId));
    for (const id of [...this.next.keys()]) {
      if (!ids.has(id)) {
        this.next.delete(id);
        this.latestScrapes.delete(id);
      }
    }
    for (const t of targets) {
      let due = this.next.get(t.taskId);
      if (due === undefined) {
        // The first scrape at the target's offset on the interval grid.
        const offset = offsetMs(t.taskId, intervalMs);
        due = Math.floor((now - offset) / intervalMs) * intervalMs + offset + intervalMs;
        this.next.set(t.taskId, due);
      }
      if (due > now) continue;
      // The scrape is stamped with its slot on the grid, as Prometheus's scrape loop does (a Go
      // ticker, timestamps aligned to the schedule within its tolerance), not with when this
      // 100 ms timer got to it: a late timer must not move a scrape into the next metric period.
      // Slots the timer slept through are skipped (no scrape), as a stalled agent would.
      const slot = due + Math.floor((now - due) / intervalMs) * intervalMs;
      this.next.set(t.taskId, slot + intervalMs);
      void this.scrape(t, slot);
    }
  }

  private async scrape(t: ScrapeTarget, atMs: number): Promise<void> {
    try {
      const samples = await this.read(t.url);
      this.counts.scrapes++;
      this.latestScrapes.set(t.taskId, { taskId: t.taskId, atMs, samples });
      for (const datum of this.agent.collect(samples, atMs)) {
        this.options.cloud.cloudwatch.put(
          this.options.highResolution ? { ...datum, storageResolution: 1 } : datum,
        );
        this.counts.datums++;
      }
    } catch (error) {
      // A TaskManager that is stopping or frozen answers nothing: no datapoint, as with the agent.
      this.counts.failures++;
      this.options.log?.(`scrape of ${t.taskId} failed: ${(error as Error).message}`);
    }
  }
}
