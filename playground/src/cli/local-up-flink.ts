/**
 * `flink-ecs-autoscaler local up --flink`: the local cloud with a real Flink cluster behind the
 * TaskManager service (playground/src/flink/live.ts), in real time, until Ctrl-C (SIGINT) or
 * SIGTERM, or until the scenario given with --scenario ends. One port of 127.0.0.1 serves ECS,
 * CloudWatch, DynamoDB and Lambda (the scaler function), as `local up` does; the JobManager's
 * web UI and the load tool (POST /rate?r=<records/s>) get ports of their own.
 *
 * Without --scenario: the cluster of playground/scenarios/flink-step.json at the first rate of
 * its trace, held until stopped. With --scenario: that file's cluster, trace and kill faults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LocalUpCommandOptions, LocalUpIo } from 'flink-ecs-autoscaler/lib/cli/playground';
import { demoConfig, FLINK_STEP_SCENARIO, realFaults, traceSteps } from '../flink/demo';
import { buildFlink, checkPrerequisites, flinkVersions } from '../flink/env';
import { REAL_CLUSTER, REAL_SERVICE, type RealFlinkRun, startRealFlinkRun } from '../flink/live';
import { loadScenario } from '../scenario';
import { localEnvironment, untilDone } from './local-up-command';

const REGION = 'us-east-1';

export async function runLocalUpFlink(
  opts: LocalUpCommandOptions,
  io: LocalUpIo = { out: process.stdout, err: process.stderr, signals: process },
): Promise<void> {
  const say = (line: string) => io.err.write(`[flink] ${line}\n`);
  const pre = checkPrerequisites();
  const versions = flinkVersions();
  say(`Java ${pre.java}, ${pre.maven}; Flink ${versions.flink}, Kafka ${versions.kafka}`);
  await buildFlink(say);
  const loaded = await loadScenario(resolve(opts.scenario ?? FLINK_STEP_SCENARIO));
  const s = loaded.scenario;
  const bounded = opts.scenario !== undefined;
  const base = demoConfig(loaded, 60);
  const config = { ...base, policy: { ...base.policy, mode: opts.policy } };
  const steps = traceSteps(loaded);
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const runDir = mkdtempSync(join(tmpdir(), 'flink-local-'));
  say(`run directory ${runDir} (configs and logs of every JVM)`);
  const run: RealFlinkRun = await startRealFlinkRun({
    name: s.name,
    runDir,
    seed: s.seed,
    partitions: s.cluster.partitions,
    slotsPerTaskManager: s.cluster.slotsPerTaskManager,
    workUs: Math.round(1e6 / s.cluster.recordsPerSecondPerSlot),
    checkpointMs: s.cluster.checkpointIntervalSeconds * 1000,
    initialTaskManagers: s.cluster.initialTaskManagers,
    config,
    trace: bounded ? steps : steps.slice(0, 1),
    ...(bounded ? { durationSeconds: s.durationSeconds, faults: realFaults(loaded) } : {}),
    ingestionDelaySeconds: 10,
    sampleSeconds: 5,
    lambda: { port: opts.port, functionName: opts.function },
    log: say,
    ...(opts.quiet || opts.json
      ? {}
      : {
          onProgress: (p) =>
            io.out.write(
              `[flink t=${p.t}s] input ${p.input} records/s · desired ${p.desired} · running ${p.running} · parallelism ${p.parallelism}${p.processing ? '' : ' (not processing)'} · group lag ${p.lag}\n`,
            ),
          progressEverySeconds: 60,
        }),
  });
  const endpoint = run.lambda?.endpoint ?? '';
  const endpoints = { ecs: endpoint, cloudwatch: endpoint, dynamodb: endpoint, lambda: endpoint };
  const environment = localEnvironment({ endpoints, region: REGION, functionName: opts.function });
  if (opts.json) {
    io.out.write(
      `${JSON.stringify({
        endpoint,
        endpoints,
        cluster: REAL_CLUSTER,
        service: REAL_SERVICE,
        tableName: run.tableName,
        functionName: opts.function,
        region: REGION,
        realFlink: true,
        flink: { ...versions, java: pre.java },
        flinkWebUi: run.cluster.webUrl,
        kafkaBootstrap: run.cluster.kafkaBootstrap,
        loadTool: run.loadUrl,
        scenario: s.name,
        policy: opts.policy,
        durationSeconds: bounded ? s.durationSeconds : null,
        environment,
      })}\n`,
    );
  } else {
    io.out.write(
      [
        `local cloud up with real Flink ${versions.flink}: policy ${opts.policy}, real time, ${bounded ? `scenario ${s.name} (${s.durationSeconds} s)` : `${steps[0]?.rate ?? 0} records/s until stopped`}`,
        `  ECS         ${endpoint}   cluster ${REAL_CLUSTER}, service ${REAL_SERVICE} (each task a TaskManager JVM)`,
        `  CloudWatch  ${endpoint}   (the agent scrapes every TaskManager's Prometheus endpoint each minute)`,
        `  DynamoDB    ${endpoint}   table ${run.tableName}`,
        `  Lambda      ${endpoint}   function ${opts.function}`,
        `  Flink UI    ${run.cluster.webUrl}   (JobManager REST API and web UI)`,
        `  Kafka       ${run.cluster.kafkaBootstrap}   topic ${run.cluster.topic}, ${s.cluster.partitions} partitions`,
        `  load        ${run.loadUrl}/lag   (change the input: curl -X POST '${run.loadUrl}/rate?r=3000')`,
        '',
        'In another terminal:',
        ...Object.entries(environment).map(([k, v]) => `  export ${k}=${v}`),
        '  flink-ecs-autoscaler status',
        '  flink-ecs-autoscaler rescale --to 3 --reason "try it" --wait',
        `  aws ecs list-tasks --cluster ${REAL_CLUSTER} --service-name ${REAL_SERVICE}`,
        `  curl -s ${run.cluster.webUrl}/taskmanagers`,
        '',
        'Ctrl-C stops it (every JVM).',
        '',
      ].join('\n'),
    );
  }
  const end = await untilDone(io, 'the local cloud and every JVM', run.done, () => void run.stop());
  io.err.write(
    `${bounded && end.durationSeconds >= s.durationSeconds ? `scenario ${s.name} ended` : 'stopped'} after ${end.durationSeconds} s: ${end.processes.length} TaskManager processes ran, none is left\n`,
  );
  rmSync(runDir, { recursive: true, force: true });
}
