import { Command } from 'commander';
import { beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { exitCodeFor, NotAppliedError, oneLine, UsageError, WaitError } from '../../../lib/cli/errors';
import { decisionsTable, statusText } from '../../../lib/cli/format';
import {
  type Bounds,
  type OperatorDeps,
  registerOperatorCommands,
  resolveTarget,
  runRescale,
  type Target,
  waitForRunning,
} from '../../../lib/cli/operator';
import {
  type Decision,
  ScalerClient,
  type StatusResult,
  UnexpectedResponseError,
} from '../../../lib/cli/scaler-client';
import type { ScalerResult } from '../../../lib/scaler';

const AT = '2026-01-01T01:00:00.000Z';
const AT_MS = Date.parse(AT);

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    decisionId: 'd-1',
    at: AT,
    trigger: 'manual',
    triggerDetail: 'rescale',
    policy: 'manual',
    current: 2,
    running: 2,
    recommended: 6,
    desired: 6,
    reason: 'Applied',
    applied: true,
    dryRun: false,
    message: 'campaign',
    ...overrides,
  };
}

function status(
  service: { desired: number; running: number; pending: number },
  extra: Partial<StatusResult['status']> = {},
): StatusResult {
  return {
    ...decision({
      reason: 'Status',
      triggerDetail: 'status',
      applied: false,
      current: service.desired,
      desired: service.desired,
    }),
    status: {
      state: { version: 3, recommendations: [] },
      service: {
        desiredCount: service.desired,
        runningCount: service.running,
        pendingCount: service.pending,
        deploymentInProgress: false,
        status: 'ACTIVE',
      },
      decisions: [],
      partitions: { total: 32, unowned: 0 },
      unhealthyTaskManagers: [],
      ...extra,
    },
  };
}

class Sink {
  text = '';
  readonly isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

interface Fake {
  readonly deps: OperatorDeps;
  readonly payloads: unknown[];
  readonly targets: Target[];
  readonly out: Sink;
  readonly err: Sink;
  answers: unknown[];
  /** What the connection's bounds() gives (an Error is thrown); undefined: the bounds are unknown. */
  bounds: Bounds | Error | undefined;
  boundsCalls: number;
}

function fake(env: NodeJS.ProcessEnv = {}, stack: Record<string, string> = {}): Fake {
  const out = new Sink();
  const err = new Sink();
  const f: Fake = {
    payloads: [],
    targets: [],
    out,
    err,
    answers: [],
    bounds: undefined,
    boundsCalls: 0,
    deps: {
      out,
      err,
      env,
      async connect(target) {
        f.targets.push(target);
        return {
          invoke: async (payload) => {
            f.payloads.push(payload);
            const next = f.answers.shift();
            if (next instanceof Error) throw next;
            return next;
          },
          bounds: async () => {
            f.boundsCalls++;
            if (f.bounds instanceof Error) throw f.bounds;
            return f.bounds;
          },
          close: () => undefined,
        };
      },
      async stackOutput(name, key) {
        const value = stack[`${name}/${key}`];
        if (value === undefined) throw new Error(`stack "${name}" not found`);
        return value;
      },
    },
  };
  return f;
}

const rescaleDefaults = { timeout: 60_000, interval: 1 };

/** A schema's type without the index signatures of its loose objects (which accept any extra field). */
type Known<T> = T extends readonly (infer U)[]
  ? readonly Known<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Known<T[K]> }
    : T;

describe('Type: the CLI response schemas', () => {
  it('accept what the scaler function returns (lib/scaler ScalerResult)', () => {
    expectTypeOf<ScalerResult>().toExtend<Known<Decision>>();
    expectTypeOf<NonNullable<ScalerResult['status']>>().toExtend<Known<StatusResult['status']>>();
  });
});

describe('Function: resolveTarget', () => {
  it('prefers --function over the environment and the stack', async () => {
    // Prepare
    const f = fake({ FLINK_AUTOSCALER_FUNCTION: 'from-env' }, { 'app/ScalerFunctionName': 'from-stack' });
    // Act
    const target = await resolveTarget({ function: 'from-flag', stack: 'app' }, f.deps);
    // Assess
    expect(target).toEqual({ functionName: 'from-flag' });
  });

  it('falls back to FLINK_AUTOSCALER_FUNCTION, then to the stack output', async () => {
    const f = fake({ FLINK_AUTOSCALER_FUNCTION: 'from-env' }, { 'app/ScalerFunctionName': 'from-stack' });
    expect((await resolveTarget({ stack: 'app' }, f.deps)).functionName).toBe('from-env');
    const g = fake({}, { 'app/ScalerFunctionName': 'from-stack' });
    expect(
      await resolveTarget({ stack: 'app', endpoint: 'http://127.0.0.1:1', region: 'eu-west-1' }, g.deps),
    ).toEqual({ functionName: 'from-stack', endpoint: 'http://127.0.0.1:1', region: 'eu-west-1' });
  });

  it('is a usage error when nothing names the function', async () => {
    const f = fake({ FLINK_AUTOSCALER_FUNCTION: '  ' });
    await expect(resolveTarget({}, f.deps)).rejects.toThrow(UsageError);
    await expect(resolveTarget({}, f.deps)).rejects.toThrow(
      'no scaler function: pass --function NAME, set FLINK_AUTOSCALER_FUNCTION, or pass --stack STACK',
    );
  });
});

describe('Class: ScalerClient', () => {
  it('sends the manual payloads of lib/core/triggers', async () => {
    // Prepare
    const sent: unknown[] = [];
    const client = new ScalerClient(async (p) => {
      sent.push(p);
      return (p as { action: string }).action === 'status'
        ? status({ desired: 2, running: 2, pending: 0 })
        : decision();
    }, 'fn');
    // Act
    await client.rescale({ desiredCount: 6, reason: 'r', holdMinutes: 0, dryRun: true });
    await client.rescale({ desiredCount: 6, reason: 'r' });
    await client.pause(60, 'p');
    await client.resume();
    await client.status(7);
    // Assess
    expect(sent).toEqual([
      { action: 'rescale', desiredCount: 6, reason: 'r', holdMinutes: 0, dryRun: true },
      { action: 'rescale', desiredCount: 6, reason: 'r' },
      { action: 'pause', minutes: 60, reason: 'p' },
      { action: 'resume' },
      { action: 'status', limit: 7 },
    ]);
  });

  it('rejects an answer that is not the scaler function’s, naming the field', async () => {
    const client = new ScalerClient(async () => ({ statusCode: 200, body: 'hello' }), 'other-fn');
    await expect(client.status(1)).rejects.toThrow(UnexpectedResponseError);
    await expect(client.status(1)).rejects.toThrow(
      /function "other-fn" did not answer like the scaler function \(decisionId: /,
    );
  });
});

describe('Function: runRescale', () => {
  let f: Fake;
  beforeEach(() => {
    f = fake({ USER: 'ops' });
  });

  it('sends the count, the hold in minutes and a default reason naming the operator', async () => {
    // Prepare
    f.answers.push(decision());
    // Act
    await runRescale({ function: 'fn', to: 6, hold: 7_200_000, ...rescaleDefaults }, f.deps);
    // Assess
    expect(f.payloads).toEqual([
      {
        action: 'rescale',
        desiredCount: 6,
        holdMinutes: 120,
        reason: expect.stringMatching(/^rescale to 6 from the CLI by ops@/),
      },
    ]);
    expect(f.out.text).toBe('rescaled: desired count 2 → 6 — campaign (decision d-1)\n');
  });

  it('prints exactly one JSON document with --json', async () => {
    f.answers.push(decision());
    await runRescale({ function: 'fn', to: 6, json: true, ...rescaleDefaults }, f.deps);
    expect(JSON.parse(f.out.text)).toMatchObject({ reason: 'Applied', desired: 6 });
  });

  it('fails when the function did not apply the rescale', async () => {
    f.answers.push(
      decision({
        reason: 'LostRace',
        applied: false,
        desired: 2,
        message: 'another invocation decided first',
      }),
    );
    // Act
    const error = await runRescale({ function: 'fn', to: 6, ...rescaleDefaults }, f.deps).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(NotAppliedError);
    expect((error as Error).message).toBe(
      'rescale not applied (LostRace): another invocation decided first (decision d-1)',
    );
    expect(exitCodeFor(error)).toBe(1);
  });

  it('waits for the running count after an applied rescale, then reports the outcome', async () => {
    // Prepare
    f.answers.push(
      decision(),
      status({ desired: 6, running: 2, pending: 4 }),
      status({ desired: 6, running: 4, pending: 2 }),
      status({ desired: 6, running: 6, pending: 0 }),
    );
    // Act
    await runRescale({ function: 'fn', to: 6, wait: true, json: true, ...rescaleDefaults }, f.deps);
    // Assess
    const doc = JSON.parse(f.out.text) as { decision: Decision; wait: { reached: boolean; running: number } };
    expect(doc.decision.reason).toBe('Applied');
    expect(doc.wait).toMatchObject({ reached: true, running: 6 });
    expect(f.err.text.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^waiting: 2\/6 running, 4 pending/),
      expect.stringMatching(/^waiting: 4\/6 running, 2 pending/),
      expect.stringMatching(/^reached: 6\/6 TaskManagers running after/),
    ]);
  });

  it('does not wait after a dry run', async () => {
    f.answers.push(
      decision({
        reason: 'DryRun',
        dryRun: true,
        desired: 2,
        message: 'dry run: would set desired count 2 → 6',
      }),
    );
    await runRescale({ function: 'fn', to: 6, wait: true, dryRun: true, ...rescaleDefaults }, f.deps);
    expect(f.payloads).toHaveLength(1);
    expect(f.out.text).toContain('dry run: would set desired count 2 → 6');
  });

  it("rejects a count outside the function's bounds as bad usage, before any invoke (dry run or not)", async () => {
    // Prepare
    f.bounds = { minTaskManagers: 2, maxTaskManagers: 24 };
    const cases: [number, boolean, string][] = [
      [30, false, "--to: 30 is above the function's maxTaskManagers (24)"],
      [25, true, "--to: 25 is above the function's maxTaskManagers (24)"],
      [1, false, "--to: 1 is below the function's minTaskManagers (2)"],
    ];
    for (const [to, dryRun, message] of cases) {
      // Act
      const error = await runRescale({ function: 'fn', to, dryRun, ...rescaleDefaults }, f.deps).catch(
        (e: unknown) => e,
      );
      // Assess
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(message);
      expect(exitCodeFor(error)).toBe(2);
    }
    expect(f.boundsCalls).toBe(3);
    expect(f.payloads).toEqual([]);
    expect(f.out.text).toBe('');
  });

  it('invokes a count at the bounds, and any count when the bounds are unknown', async () => {
    f.bounds = { minTaskManagers: 2, maxTaskManagers: 24 };
    f.answers.push(decision({ desired: 24 }), decision({ desired: 2 }), decision({ desired: 99 }));
    await runRescale({ function: 'fn', to: 24, ...rescaleDefaults }, f.deps);
    await runRescale({ function: 'fn', to: 2, ...rescaleDefaults }, f.deps);
    f.bounds = undefined;
    await runRescale({ function: 'fn', to: 99, ...rescaleDefaults }, f.deps);
    expect(f.payloads.map((p) => (p as { desiredCount: number }).desiredCount)).toEqual([24, 2, 99]);
  });

  it('fails as the invoke would when reading the bounds fails, and invokes nothing', async () => {
    f.bounds = new Error('function "fn" not found at AWS Lambda (Function not found: …)');
    const error = await runRescale({ function: 'fn', to: 6, ...rescaleDefaults }, f.deps).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('function "fn" not found at AWS Lambda (Function not found: …)');
    expect(exitCodeFor(error)).toBe(1);
    expect(f.payloads).toEqual([]);
  });
});

describe('Function: waitForRunning', () => {
  it('times out with the counts it last saw', async () => {
    // Prepare
    const client = new ScalerClient(async () => status({ desired: 6, running: 3, pending: 3 }), 'fn');
    // Act
    const wait = waitForRunning(client, { target: 6, timeoutMs: 30, intervalMs: 10 }, () => undefined);
    // Assess
    await expect(wait).rejects.toThrow(WaitError);
    await expect(
      waitForRunning(client, { target: 6, timeoutMs: 30, intervalMs: 10 }, () => undefined),
    ).rejects.toThrow(/^timed out after .* waiting for 6 running TaskManagers: 3 running, 3 pending$/);
  });

  it('stops when another decision changed the desired count', async () => {
    const client = new ScalerClient(async () => status({ desired: 9, running: 6, pending: 3 }), 'fn');
    await expect(
      waitForRunning(client, { target: 6, timeoutMs: 1000, intervalMs: 10 }, () => undefined),
    ).rejects.toThrow('the desired count is now 9, not 6: another decision changed it while waiting');
  });
});

describe('Function: registerOperatorCommands', () => {
  function program(f: Fake): { cmd: Command; errors: string[] } {
    const errors: string[] = [];
    const cmd = new Command('flink-ecs-autoscaler')
      .exitOverride()
      .configureOutput({ outputError: (text) => errors.push(oneLine(text)), writeOut: () => undefined });
    registerOperatorCommands(cmd, f.deps);
    return { cmd, errors };
  }

  it.each([
    [['rescale', '--to', '-1'], "option '--to <count>' argument '-1' is invalid. must be a whole number ≥ 0"],
    [
      ['rescale', '--to', 'abc'],
      "option '--to <count>' argument 'abc' is invalid. must be a whole number ≥ 0",
    ],
    [['rescale'], "required option '--to <count>' not specified"],
    [
      ['rescale', '--to', '3', '--hold', '2d'],
      "option '--hold <duration>' argument '2d' is invalid. must be from 0s to 1d",
    ],
    [['pause', '--for', 'soon'], "option '--for <duration>' argument 'soon' is invalid."],
    [['history', '--limit', '500'], "option '--limit <n>' argument '500' is invalid. must be from 1 to 100"],
    [['status', '--endpoint', 'localhost'], "option '--endpoint <url>' argument 'localhost' is invalid."],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('rejects %j with one line and no invoke', async (argv, message) => {
    // Prepare
    const f = fake();
    const { cmd, errors } = program(f);
    // Act
    const run = cmd.parseAsync(argv, { from: 'user' });
    // Assess
    await expect(run).rejects.toSatisfy((e) => exitCodeFor(e) === 2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(f.targets).toEqual([]);
    expect(f.payloads).toEqual([]);
  });

  it('parses durations to whole minutes in the payload', async () => {
    const f = fake();
    f.answers.push(decision({ reason: 'Paused', message: 'paused for 90 min: upgrade' }));
    const { cmd } = program(f);
    await cmd.parseAsync(['pause', '--for', '1h30m', '--reason', 'upgrade', '--function', 'fn'], {
      from: 'user',
    });
    expect(f.payloads).toEqual([{ action: 'pause', minutes: 90, reason: 'upgrade' }]);
    expect(f.out.text).toBe('autoscaler paused for 90 min: upgrade (decision d-1)\n');
  });
});

describe('Function: statusText', () => {
  it('shows the pause and the hold with the time left, and the unhealthy TaskManagers', () => {
    // Prepare
    const r = status(
      { desired: 6, running: 5, pending: 1 },
      {
        state: {
          version: 9,
          lastDecisionAt: AT_MS - 60_000,
          pause: { until: AT_MS + 3_600_000, reason: 'upgrade', by: 'manual' },
          hold: { until: AT_MS - 1, reason: 'expired', by: 'manual' },
        },
        unhealthyTaskManagers: ['t-1', 't-2'],
        decisions: [
          decision(),
          decision({
            trigger: 'schedule',
            triggerDetail: 'tick-9',
            policy: 'rate',
            reason: 'NoChange',
            current: 6,
            desired: 6,
            applied: false,
            message: undefined,
          }),
        ],
      },
    );
    // Act
    const text = statusText('fn', r);
    // Assess
    expect(text).toContain('desired 6 · running 5 · pending 1 · ACTIVE');
    expect(text).toContain('paused until 2026-01-01 02:00:00Z (1h left): upgrade');
    expect(text).not.toContain('expired');
    expect(text).toContain('policy         rate (as of the last automatic decision)');
    expect(text).toContain('unhealthy TMs  2: t-1, t-2');
    expect(text).toContain('last 2 decisions');
  });

  it('renders decisions as an aligned table', () => {
    expect(decisionsTable([decision()]).split('\n')).toEqual([
      'AT                    TRIGGER         REASON   DESIRED  RUNNING  APPLIED  MESSAGE',
      '2026-01-01 01:00:00Z  manual:rescale  Applied  2 → 6    2        yes      campaign',
    ]);
    expect(decisionsTable([])).toBe('(no decisions yet)');
  });
});
