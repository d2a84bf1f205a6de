/**
 * issue 7 acceptance: every operator command, spawned as the real CLI
 * (`node bin/flink-ecs-autoscaler.js …`), against `local up` started in this test (the
 * local cloud, dynalite and the simulated Flink cluster at 120× real time, the real scaler
 * handler behind the Lambda-compatible endpoint). Output and exit codes are checked, the
 * forced rescale is followed until the simulated service runs it, and the request logs of
 * the Lambda endpoint and the local ECS prove that bad arguments invoke nothing and that
 * rejected or dry-run rescales write nothing to ECS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CLUSTER, SIM_SERVICE } from '../../src/engine';
import { type LocalUp, startLocalUp } from '../../src/local-up';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/flink-ecs-autoscaler.js', import.meta.url));

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The environment of a spawned CLI: nothing inherited that would name a function or an endpoint. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of [
    'FLINK_AUTOSCALER_FUNCTION',
    'AWS_ENDPOINT_URL_LAMBDA',
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
  ]) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

function cli(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(extraEnv) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** stderr's lines (a single error line is the contract for every failure). */
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface StatusAnswer {
  readonly reason: string;
  readonly status: {
    readonly state: {
      readonly pause?: { readonly reason: string };
      readonly hold?: { readonly reason: string };
    };
    readonly service: { readonly desiredCount: number; readonly runningCount: number };
    readonly partitions: { readonly total: number };
    readonly decisions: readonly unknown[];
  };
}

describe('CLI: operator commands against local up', () => {
  let up: LocalUp;
  let target: string[];

  const ecsWrites = () =>
    up.cloud.requests.filter((r) => r.service === 'ecs' && r.operation === 'UpdateService').length;
  /** Invocations only: the GetFunctionConfiguration calls `rescale` makes to read the bounds are not counted. */
  const invokes = () => up.lambda.requests.filter((r) => r.operation === 'Invoke').length;
  /** The status view, read straight from the endpoint (to check what a command did without another CLI process). */
  const statusNow = async () => {
    const res = await fetch(`${up.endpoint}/2015-03-31/functions/${up.functionName}/invocations`, {
      method: 'POST',
      body: JSON.stringify({ action: 'status', limit: 1 }),
    });
    return (await res.json()) as StatusAnswer;
  };

  beforeAll(async () => {
    // 120×: a TaskManager starts in 0.5 s, and the minute-by-minute decisions of the whole
    // suite stay within one `history --limit 100`.
    up = await startLocalUp({ port: 0, speed: 120 });
    target = ['--endpoint', up.endpoint, '--function', up.functionName];
  });

  afterAll(async () => {
    await up?.close();
  });

  it('status shows the service, the autoscaler, the partitions and the last decisions', async () => {
    // Prepare: the first scheduled decision is at 60 simulated seconds (0.5 s of wall time at 120×).
    for (let i = 0; i < 100 && (await statusNow()).status.decisions.length === 0; i++) await sleep(50);
    // Act
    const [human, machine] = await Promise.all([
      cli(['status', ...target]),
      cli(['status', ...target, '--json']),
    ]);
    const json = JSON.parse(machine.stdout) as StatusAnswer;
    // Assess
    expect(human.code).toBe(0);
    expect(machine.code).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/^function +flink-ecs-autoscaler-local \(answered at 2026-01-01 /);
    expect(human.stdout).toMatch(/ECS service +desired \d+ · running \d+ · pending \d+ · ACTIVE/);
    expect(human.stdout).toMatch(/partitions +32 total · \d+ unowned/);
    expect(human.stdout).toMatch(/last decision 2026-01-01 [\d:]+Z \([A-Za-z]+\)/);
    expect(human.stdout).toContain('AT                    TRIGGER');
    expect(json.reason).toBe('Status');
    expect(json.status.partitions.total).toBe(32);
    expect(json.status.service.desiredCount).toBeGreaterThanOrEqual(1);
  });

  it('pause stops automatic scaling; status shows it', async () => {
    // Act
    const r = await cli(['pause', '--for', '7d', '--reason', 'cli test', ...target]);
    const human = await cli(['status', ...target]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^autoscaler paused for 10080 min: cli test \(decision sim-\d+\)\n$/);
    expect(human.stdout).toMatch(/autoscaler +paused until 2026-01-\d\d [\d:]+Z \(\S+ left\): cli test/);
    expect((await statusNow()).status.state.pause?.reason).toBe('cli test');
  });

  it('rejects bad arguments with one line and exit code 2, and invokes nothing', async () => {
    // Prepare
    const [invokesBefore, writesBefore] = [invokes(), ecsWrites()];
    const cases: [string[], RegExp][] = [
      [
        ['rescale', '--to', '-1'],
        /^error: option '--to <count>' argument '-1' is invalid\. must be a whole number ≥ 0$/,
      ],
      [
        ['rescale', '--to', 'abc'],
        /^error: option '--to <count>' argument 'abc' is invalid\. must be a whole number ≥ 0$/,
      ],
      [
        ['pause', '--for', 'forever'],
        /^error: option '--for <duration>' argument 'forever' is invalid\. must be a duration like/,
      ],
      [['stauts'], /^error: unknown command 'stauts' \(Did you mean status\?\)$/],
    ];
    // Act
    const runs = await Promise.all(cases.map(([args]) => cli([...args, ...target])));
    // Assess
    runs.forEach((r, i) => {
      const [, message] = cases[i] as [string[], RegExp];
      expect(r.code, r.stderr).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(lines(r.stderr)[0]).toMatch(message);
      expect(r.stdout).toBe('');
    });
    expect(invokes()).toBe(invokesBefore);
    expect(ecsWrites()).toBe(writesBefore);
  });

  it('a count outside the function’s bounds is bad usage: one line, exit code 2, no invoke, no ECS write', async () => {
    // Prepare
    const [invokesBefore, writesBefore, requestsBefore] = [invokes(), ecsWrites(), up.lambda.requests.length];
    const cases: [string[], string][] = [
      [['rescale', '--to', '30'], "error: --to: 30 is above the function's maxTaskManagers (24)"],
      [
        ['rescale', '--to', '25', '--dry-run'],
        "error: --to: 25 is above the function's maxTaskManagers (24)",
      ],
      [['rescale', '--to', '0', '--json'], "error: --to: 0 is below the function's minTaskManagers (1)"],
    ];
    // Act
    const runs = await Promise.all(cases.map(([args]) => cli([...args, ...target])));
    // Assess
    runs.forEach((r, i) => {
      const [, message] = cases[i] as [string[], string];
      expect(r.code, r.stderr).toBe(2);
      expect(lines(r.stderr)).toEqual([message]);
      expect(r.stdout).toBe('');
    });
    expect(invokes()).toBe(invokesBefore);
    const served = up.lambda.requests.slice(requestsBefore);
    expect(served).toHaveLength(cases.length);
    for (const entry of served) {
      expect(entry).toMatchObject({
        operation: 'GetFunctionConfiguration',
        method: 'GET',
        functionName: up.functionName,
        status: 200,
      });
    }
    expect(ecsWrites()).toBe(writesBefore);
  });

  it('the function still rejects a count out of bounds when invoked directly (the CLI’s fallback)', async () => {
    // Act
    const res = await fetch(`${up.endpoint}/2015-03-31/functions/${up.functionName}/invocations`, {
      method: 'POST',
      body: JSON.stringify({ action: 'rescale', desiredCount: 30, reason: 'direct' }),
    });
    const body = (await res.json()) as { errorType: string; errorMessage: string };
    // Assess
    expect(res.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(body).toMatchObject({
      errorType: 'ValidationError',
      errorMessage: 'invalid manual payload: desiredCount: must be between 1 and 24',
    });
  });

  it('a dry run says what it would do and writes nothing to ECS', async () => {
    // Prepare
    const writesBefore = ecsWrites();
    const current = (await statusNow()).status.service.desiredCount;
    // Act
    const r = await cli(['rescale', '--to', String(current + 2), '--dry-run', ...target]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^dry run: would set desired count ${current} → ${current + 2} and hold 30 min \\(decision sim-\\d+\\)\\n$`,
      ),
    );
    expect(ecsWrites()).toBe(writesBefore);
  });

  it('a forced rescale with --wait returns once the simulated service runs the new count', async () => {
    // Prepare
    const before = (await statusNow()).status.service;
    const to = before.desiredCount + 3;
    const writesBefore = ecsWrites();
    // Act
    const r = await cli([
      'rescale',
      '--to',
      String(to),
      '--hold',
      '2h',
      '--reason',
      'cli test rescale',
      '--wait',
      '--interval',
      '200ms',
      '--timeout',
      '60s',
      ...target,
    ]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^rescaled: desired count ${before.desiredCount} → ${to} — cli test rescale \\(decision sim-\\d+\\)\\n$`,
      ),
    );
    expect(lines(r.stderr).at(-1)).toMatch(new RegExp(`^reached: ${to}/${to} TaskManagers running after `));
    expect(up.cloud.ecs.serviceCounts(SIM_CLUSTER, SIM_SERVICE)).toMatchObject({
      desiredCount: to,
      runningCount: to,
    });
    expect(ecsWrites()).toBe(writesBefore + 1);
    expect((await statusNow()).status.state.hold?.reason).toBe('cli test rescale');
  });

  it('rescale --wait --json prints one document with the decision and the wait', async () => {
    // Prepare
    const to = (await statusNow()).status.service.desiredCount - 1;
    // Act
    const r = await cli([
      'rescale',
      '--to',
      String(to),
      '--wait',
      '--interval',
      '200ms',
      '--json',
      ...target,
    ]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      decision: { reason: string; desired: number };
      wait: { reached: boolean; running: number };
    };
    expect(doc.decision).toMatchObject({ reason: 'Applied', desired: to });
    expect(doc.wait).toMatchObject({ reached: true, running: to });
  });

  it('history lists manual and automatic decisions, newest first', async () => {
    // Act
    const [human, json] = await Promise.all([
      cli(['history', '--limit', '100', ...target]),
      cli(['history', '--limit', '100', '--json', ...target]),
    ]);
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/manual:rescale +Applied +\d+ → \d+ .*cli test rescale/);
    expect(human.stdout).toMatch(/manual:pause +Paused /);
    expect(human.stdout).toMatch(/schedule +Paused /);
    const decisions = JSON.parse(json.stdout) as { at: string; triggerDetail?: string; reason: string }[];
    expect(decisions.length).toBeGreaterThan(3);
    const times = decisions.map((d) => d.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(decisions.find((d) => d.triggerDetail === 'rescale' && d.reason === 'Applied')).toBeDefined();
  });

  it('resume clears the pause and the hold', async () => {
    // Act
    const r = await cli(['resume', '--reason', 'cli test done', ...target]);
    const json = await statusNow();
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^autoscaler resumed: automatic scaling is active again \(decision sim-\d+\)\n$/,
    );
    expect(json.status.state.pause).toBeUndefined();
    expect(json.status.state.hold).toBeUndefined();
  });

  it('takes the function name from FLINK_AUTOSCALER_FUNCTION and the endpoint from AWS_ENDPOINT_URL_LAMBDA', async () => {
    const r = await cli(['history', '--limit', '1'], {
      FLINK_AUTOSCALER_FUNCTION: up.functionName,
      AWS_ENDPOINT_URL_LAMBDA: up.endpoint,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(2);
  });

  it('a missing function: one line, exit code 1, in under 10 s', async () => {
    // Act
    const r = await cli(['status', '--endpoint', up.endpoint, '--function', 'no-such-function']);
    // Assess
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: function "no-such-function" not found at ${up.endpoint} (Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function)`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(10_000);
    expect(up.lambda.requests.at(-1)).toMatchObject({ status: 404, errorCode: 'ResourceNotFoundException' });
  });

  it('rescale of a missing function fails reading its bounds: one line, exit code 1, no invoke', async () => {
    // Prepare
    const invokesBefore = invokes();
    // Act
    const r = await cli([
      'rescale',
      '--to',
      '3',
      '--endpoint',
      up.endpoint,
      '--function',
      'no-such-function',
    ]);
    // Assess
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: function "no-such-function" not found at ${up.endpoint} (Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function)`,
    ]);
    expect(invokes()).toBe(invokesBefore);
    expect(up.lambda.requests.at(-1)).toMatchObject({
      operation: 'GetFunctionConfiguration',
      status: 404,
      errorCode: 'ResourceNotFoundException',
    });
  });

  it('an unreachable endpoint: one line, exit code 1, in under 10 s', async () => {
    // Prepare
    const port = await closedPort();
    // Act
    const r = await cli([
      'rescale',
      '--to',
      '3',
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--function',
      up.functionName,
    ]);
    // Assess
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: cannot reach the Lambda endpoint http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('no function named anywhere is a usage error, before any invoke', async () => {
    const before = invokes();
    const r = await cli(['status', '--endpoint', up.endpoint]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'error: no scaler function: pass --function NAME, set FLINK_AUTOSCALER_FUNCTION, or pass --stack STACK (its ScalerFunctionName output)',
    ]);
    expect(invokes()).toBe(before);
  });

  it('every command has help with examples', async () => {
    const runs = await Promise.all(
      [['--help'], ['rescale', '--help'], ['local', 'up', '--help']].map((a) => cli(a)),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
    expect(runs[0]?.stdout).toMatch(/status \[options\]/);
  });
});

describe('CLI: local up as a process', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'serves the other commands and stops cleanly on %s',
    async (signal) => {
      // Prepare
      const proc = spawn(process.execPath, [BIN, 'local', 'up', '--port', '0', '--speed', '600', '--json'], {
        cwd: ROOT,
        env: cleanEnv(),
      });
      child = proc;
      let stdout = '';
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const ready = await new Promise<{ endpoint: string; functionName: string }>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const line = stdout.split('\n')[0];
          if (stdout.includes('\n') && line)
            resolve(JSON.parse(line) as { endpoint: string; functionName: string });
        });
        proc.on('close', (code) => reject(new Error(`local up exited (${code}): ${stderr}`)));
      });
      let stoppedAt = 0;
      const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
        proc.on('close', (code) => resolve({ code, ms: Date.now() - stoppedAt }));
      });
      // Act
      const status = await cli([
        'status',
        '--endpoint',
        ready.endpoint,
        '--function',
        ready.functionName,
        '--json',
      ]);
      stoppedAt = Date.now();
      proc.kill(signal);
      const end = await exited;
      // Assess
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ reason: 'Status' });
      expect(end.code).toBe(0);
      expect(end.ms).toBeLessThan(5000);
      expect(lines(stderr)).toEqual([
        `${signal}: stopping the local cloud`,
        expect.stringMatching(/^local cloud stopped after [\d.]+ simulated hours$/),
      ]);
      expect(lines(stdout)).toHaveLength(1);
    },
  );
});
