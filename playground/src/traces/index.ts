/**
 * Real public traces for the benchmark's test set, derived at run time from the files the npm
 * package `vega-datasets` (a devDependency of the playground) ships, never committed. Each is a
 * series of event counts per bucket, replayed as a simulated day, its shape scaled to the
 * scenario's cluster (SOURCES.md beside this file: package, version, file, original source and
 * license, and every transformation). Deterministic: the same package version gives the same
 * trace, byte for byte.
 *
 * Scaling: rate(t) = count(t) × (capacity₀ / 2) / median(count), capacity₀ = the initial
 * cluster's nominal capacity (initialTaskManagers × slots × recordsPerSecondPerSlot): the
 * median bucket runs the initial cluster at half its nominal capacity.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Trace } from '../scenario';

export const DATASET_NAMES = ['flights-day', 'flights-week-as-day', 'earthquakes-week-as-day'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The counts per bucket of a dataset, and how long each bucket lasts when replayed. */
export interface DatasetSeries {
  readonly counts: readonly number[];
  readonly bucketSeconds: number;
  /** One sentence: what a count is and how the window was cut and compressed. */
  readonly description: string;
}

const require = createRequire(import.meta.url);

/** The installed vega-datasets' data folder (and its version, for the sources). */
export function vegaDatasetsDir(): { dir: string; version: string } {
  // The package exports only its build (build/index.js): its root is two levels up.
  const root = dirname(dirname(require.resolve('vega-datasets')));
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  return { dir: join(root, 'data'), version };
}

/** Counts of `times` (epoch ms) per bucket of `bucketMs` from `startMs`, `buckets` of them. */
export function bucketCounts(
  times: Iterable<number>,
  startMs: number,
  bucketMs: number,
  buckets: number,
): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const t of times) {
    const i = Math.floor((t - startMs) / bucketMs);
    if (i >= 0 && i < buckets) counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

const MINUTE = 60_000;

/** Departure times of the 3 million US flights of Jan–Jun 2001 (local clock times, read as UTC). */
async function flightDepartures(dir: string): Promise<number[]> {
  const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = await asyncBufferFromFile(join(dir, 'flights-3m.parquet'));
  const rows = (await parquetReadObjects({ file, columns: ['date'], compressors })) as { date: Date }[];
  return rows.map((r) => r.date.getTime());
}

async function earthquakeTimes(dir: string): Promise<number[]> {
  const geo = JSON.parse(await readFile(join(dir, 'earthquakes.json'), 'utf8')) as {
    features: { properties: { time: number } }[];
  };
  return geo.features.map((f) => f.properties.time);
}

/** The bucketed series of a dataset, from the installed package's file. */
export async function datasetSeries(name: DatasetName): Promise<DatasetSeries> {
  const { dir } = vegaDatasetsDir();
  switch (name) {
    case 'flights-day': {
      const start = Date.parse('2001-03-05T00:00:00Z'); // a Monday
      return {
        counts: bucketCounts(await flightDepartures(dir), start, MINUTE, 1440),
        bucketSeconds: 60,
        description:
          'US flight departures per minute on Monday 5 March 2001 (flights-3m.parquet, 00:00–24:00 scheduled local time), replayed at real speed',
      };
    }
    case 'flights-week-as-day': {
      const start = Date.parse('2001-03-05T00:00:00Z');
      return {
        counts: bucketCounts(await flightDepartures(dir), start, 7 * MINUTE, 1440),
        bucketSeconds: 60,
        description:
          'US flight departures per 7 minutes over 5–11 March 2001 (flights-3m.parquet), a week replayed as a day (7× faster: each 7-minute bucket lasts 60 s)',
      };
    }
    case 'earthquakes-week-as-day': {
      const start = Date.parse('2018-01-31T02:00:00Z');
      return {
        counts: bucketCounts(await earthquakeTimes(dir), start, 21 * MINUTE, 480),
        bucketSeconds: 180,
        description:
          'earthquakes of all magnitudes per 21 minutes in the USGS feed, 31 Jan 02:00 – 7 Feb 2018 02:00 UTC (earthquakes.json), a week replayed as a day (7× faster: each bucket lasts 180 s)',
      };
    }
  }
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A series as a Trace, scaled so that its median is `medianRate` records/s (consecutive equal rates share a row). */
export function seriesTrace(series: DatasetSeries, medianRate: number): Trace {
  const m = median(series.counts);
  if (!(m > 0)) throw new RangeError(`the series' median is ${m}: it cannot be scaled`);
  const factor = medianRate / m;
  const times: number[] = [];
  const rates: number[] = [];
  series.counts.forEach((c, i) => {
    const rate = Number((c * factor).toFixed(6));
    if (rates.at(-1) !== rate) {
      times.push(i * series.bucketSeconds);
      rates.push(rate);
    }
  });
  return { times, rates };
}

/** The cluster facts the scaling needs. */
export interface ScalingCluster {
  readonly initialTaskManagers: number;
  readonly slotsPerTaskManager: number;
  readonly recordsPerSecondPerSlot: number;
}

/** The median rate a dataset trace is scaled to: half the initial cluster's nominal capacity. */
export function medianRateFor(cluster: ScalingCluster): number {
  return (cluster.initialTaskManagers * cluster.slotsPerTaskManager * cluster.recordsPerSecondPerSlot) / 2;
}

export async function datasetTrace(name: DatasetName, cluster: ScalingCluster): Promise<Trace> {
  return seriesTrace(await datasetSeries(name), medianRateFor(cluster));
}
