/**
 * `flink-ecs-autoscaler local up`: the local playground (./local-up) in the foreground until
 * Ctrl-C (SIGINT) or SIGTERM, which stop it cleanly, or until its scenario ends; with --flink
 * a real Flink cluster instead of the simulated one (./local-up-flink). The command's
 * options are defined by the product's CLI (lib/cli/local.ts), which loads this on demand.
 */
import { resolve } from 'node:path';
import { formatTime } from 'flink-ecs-autoscaler/lib/cli/format';
import { FUNCTION_ENV } from 'flink-ecs-autoscaler/lib/cli/operator';
import type { LocalUpCommandOptions, LocalUpIo } from 'flink-ecs-autoscaler/lib/cli/playground';
import { LOCAL_POLICIES, type LocalUp, startLocalUp } from '../local-up';
import { loadScenario } from '../scenario';
import { runLocalUpFlink } from './local-up-flink';

/** The environment that points an AWS SDK, the AWS CLI and the operator CLI at the local cloud. */
export function localEnvironment(
  up: Pick<LocalUp, 'endpoints' | 'region' | 'functionName'>,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECS: up.endpoints.ecs,
    AWS_ENDPOINT_URL_CLOUDWATCH: up.endpoints.cloudwatch,
    AWS_ENDPOINT_URL_DYNAMODB: up.endpoints.dynamodb,
    AWS_ENDPOINT_URL_LAMBDA: up.endpoints.lambda,
    AWS_REGION: up.region,
    AWS_DEFAULT_REGION: up.region,
    // The local cloud checks no signature; the SDKs and the CLI still want some credentials.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    [FUNCTION_ENV]: up.functionName,
  };
}

function commas(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export async function runLocalUp(
  opts: LocalUpCommandOptions,
  io: LocalUpIo = { out: process.stdout, err: process.stderr, signals: process },
): Promise<void> {
  if (opts.flink) return runLocalUpFlink(opts, io);
  const policy = LOCAL_POLICIES.find((p) => p === opts.policy) ?? 'rate';
  const scenario = opts.scenario ? await loadScenario(resolve(opts.scenario)) : undefined;
  const up = await startLocalUp({
    port: opts.port,
    speed: opts.speed,
    policy,
    functionName: opts.function,
    ...(scenario ? { scenario } : {}),
    ...(opts.quiet || opts.json
      ? {}
      : {
          onReport: (s) =>
            io.out.write(
              `[sim ${formatTime(s.at.getTime())}] input ${commas(s.inputRate)} records/s · desired ${s.desired} · running ${s.running} · pending ${s.pending}\n`,
            ),
        }),
  });
  const name = up.scenario.scenario.name;
  if (opts.json) {
    io.out.write(
      `${JSON.stringify({
        endpoint: up.endpoint,
        endpoints: up.endpoints,
        cluster: up.cluster,
        service: up.service,
        tableName: up.tableName,
        functionName: up.functionName,
        region: up.region,
        speed: up.speed,
        scenario: name,
        policy,
        durationSeconds: up.scenario.scenario.durationSeconds,
        environment: localEnvironment(up),
      })}\n`,
    );
  } else {
    io.out.write(
      [
        `local cloud up: scenario ${name}, policy ${policy}, simulated clock at ${up.speed}× real time`,
        `  ECS         ${up.endpoints.ecs}   cluster ${up.cluster}, service ${up.service}`,
        `  CloudWatch  ${up.endpoints.cloudwatch}   (JSON and query protocols)`,
        `  DynamoDB    ${up.endpoints.dynamodb}   table ${up.tableName}`,
        `  Lambda      ${up.endpoints.lambda}   function ${up.functionName}`,
        `  region      ${up.region}`,
        '',
        'In another terminal (any AWS SDK or the AWS CLI reads these):',
        ...Object.entries(localEnvironment(up)).map(([k, v]) => `  export ${k}=${v}`),
        '  flink-ecs-autoscaler status',
        '  flink-ecs-autoscaler rescale --to 6 --reason "try it" --wait',
        `  aws ecs describe-services --cluster ${up.cluster} --services ${up.service}`,
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
  const end = await untilDone(io, 'the local cloud', up.done, () => void up.close());
  const hours = (end.simSeconds / 3600).toFixed(1);
  io.err.write(
    end.reason === 'ended'
      ? `scenario ${name} ended after ${hours} simulated hours: local cloud stopped\n`
      : `local cloud stopped after ${hours} simulated hours\n`,
  );
}

/** Waits for `done`; SIGINT or SIGTERM meanwhile says so on stderr and calls `stop` (which ends `done`). */
export async function untilDone<T>(
  io: LocalUpIo,
  what: string,
  done: Promise<T>,
  stop: () => void,
): Promise<T> {
  const onSignal = (signal: string) => {
    io.err.write(`${signal}: stopping ${what}\n`);
    stop();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  io.signals.once('SIGINT', onInt);
  io.signals.once('SIGTERM', onTerm);
  try {
    return await done;
  } finally {
    io.signals.off('SIGINT', onInt);
    io.signals.off('SIGTERM', onTerm);
  }
}
