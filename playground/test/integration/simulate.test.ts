/**
 * issue 3 acceptance: `simulate` runs the real handlers through the SDK against the local
 * cloud, its JSON output follows the contract, and two runs are byte-identical.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../fixtures/short.json', import.meta.url));
const TAIL = fileURLToPath(new URL('../fixtures/short-tail.json', import.meta.url));

/** The `simulate --json` contract of issue 3 (extra fields allowed). */
const TimelinePoint = z.object({
  t: z.number(),
  input: z.number().nonnegative(),
  capacity: z.number().nonnegative(),
  desired: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  backlog: z.number().nonnegative(),
  lagSeconds: z.number().nonnegative(),
});
const Result = z.object({
  policy: z.string(),
  taskManagerHours: z.number().positive(),
  costRatio: z.number().positive(),
  sloViolationSeconds: z.number().int().nonnegative(),
  maxLagSeconds: z.number().nonnegative(),
  backlogAtEnd: z.number().nonnegative(),
  rescales: z.number().int().nonnegative(),
  flaps: z.number().int().nonnegative(),
  jobDowntimeSeconds: z.number().nonnegative(),
  decisions: z.record(z.string(), z.number().int().positive()),
  manual: z.array(
    z.union([
      z.object({ atSeconds: z.number(), accepted: z.literal(true), reason: z.string() }),
      z.object({ atSeconds: z.number(), accepted: z.literal(false), error: z.string() }),
    ]),
  ),
  failover: z.object({
    events: z.array(
      z.object({
        atSeconds: z.number(),
        kind: z.string(),
        partitions: z.number().int().nonnegative(),
        reassignedAfterSeconds: z.number().nullable(),
      }),
    ),
    maxUnownedSeconds: z.number().nonnegative(),
    partitionsMoved: z.number().int().nonnegative(),
    doubleOwnedPartitionSeconds: z.number().nonnegative(),
  }),
  timeline: z.array(TimelinePoint).optional(),
});
const Output = z.object({
  scenario: z.string(),
  durationSeconds: z.number().int().positive(),
  physicalMinimumTaskManagerHours: z.number().positive(),
  results: z.array(Result).min(1),
});

async function simulateJson(...extra: string[]): Promise<string> {
  const { stdout } = await run(
    'npx',
    ['tsx', 'lib/cli/main.ts', 'simulate', '--scenario', SCENARIO, '--json', ...extra],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

describe('CLI: simulate --json', () => {
  let first: string;
  let second: string;
  let decisionsFile: string;
  beforeAll(async () => {
    decisionsFile = join(await mkdtemp(join(tmpdir(), 'simulate-')), 'decisions.jsonl');
    [first, second] = await Promise.all([
      simulateJson('--timeline'),
      simulateJson('--timeline', '--decisions', decisionsFile),
    ]);
  }, 180_000);

  it('prints exactly one JSON document that follows the contract', () => {
    expect(first.trim().split('\n')).toHaveLength(1);
    const out = Output.parse(JSON.parse(first));
    expect(out).toMatchObject({ scenario: 'short-test', durationSeconds: 7200 });
    const [rate] = out.results;
    expect(rate?.policy).toBe('rate');
    expect(rate?.timeline).toHaveLength(7200 / 60);
    expect(rate?.timeline?.map((p) => p.t)).toEqual(Array.from({ length: 120 }, (_, i) => (i + 1) * 60));
  });

  it('two runs of the same scenario and seed are byte-identical (one of them also writing its decisions)', () => {
    expect(second).toBe(first);
  });

  it('--decisions writes every evaluation as a JSON line: the counts by reason are the result’s, an applied one names its inputs', async () => {
    const Line = z.object({
      run: z.literal('rate'),
      t: z.number().int().positive(),
      trigger: z.enum(['schedule', 'alarm', 'manual']),
      decision: z.looseObject({ reason: z.string(), desired: z.number().int().nonnegative() }),
    });
    const lines = (await readFile(decisionsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => Line.parse(JSON.parse(l)));
    const [rate] = Output.parse(JSON.parse(first)).results;
    const byReason: Record<string, number> = {};
    for (const { decision: d } of lines) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
    expect(byReason).toEqual(rate?.decisions);
    const ts = lines.map((l) => l.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const applied = lines.filter((l) => l.decision.reason === 'Applied' && l.trigger === 'schedule');
    expect(applied.length).toBeGreaterThan(0);
    for (const l of applied) {
      expect(l.decision).toMatchObject({
        policy: 'rate',
        applied: true,
        inputs: { sizedCount: expect.any(Number) },
      });
    }
    // The accepted payload is decided by the operator's rule; the rejected one decided nothing.
    expect(lines.filter((l) => l.trigger === 'manual').map((l) => l.decision.policy)).toEqual(['manual']);
  });

  it('the manual payloads went to the handler, which accepted one and rejected the other naming the field', () => {
    const [rate] = Output.parse(JSON.parse(first)).results;
    expect(rate?.manual).toEqual([
      { atSeconds: 600, accepted: true, reason: 'Applied' },
      {
        atSeconds: 1200,
        accepted: false,
        error: expect.stringMatching(/desiredCount: must be between 1 and 12/),
      },
    ]);
  });

  it('the rate policy scaled out for the ramp and back in after it, without flapping', async () => {
    // An hour more at the end than short.json: the scale-in waits an hour after a rescale.
    const tail = await simulateJson('--timeline', '--scenario', TAIL);
    const [rate] = Output.parse(JSON.parse(tail)).results;
    const desired = rate?.timeline?.map((p) => p.desired) ?? [];
    expect(Math.max(...desired)).toBeGreaterThanOrEqual(6);
    expect(desired.at(-1)).toBeLessThan(Math.max(...desired));
    expect(rate?.flaps).toBe(0);
    expect(rate?.backlogAtEnd).toBe(0);
  }, 120_000);
});
