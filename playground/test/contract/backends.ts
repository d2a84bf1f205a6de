/**
 * The backends the adapter contract suite runs against: our local cloud (ECS, CloudWatch)
 * with dynalite (DynamoDB), and moto in server mode (all three), an implementation of the
 * AWS APIs this project did not write. Each backend can arrange the same starting point: a
 * cluster whose service runs `count` tasks, plus a task of another group.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { type AwsClients, createAwsClients } from 'flink-ecs-autoscaler/lib/aws/clients';
import { type LocalCloud, startLocalCloud } from '../../src/cloud/local-cloud';
import { startDynalite } from '../../src/dynalite';

export type BackendName = 'local' | 'moto';

export interface ArrangedService {
  readonly cluster: string;
  readonly service: string;
  /** The service's task ARNs. */
  readonly taskArns: readonly string[];
  /** A running task of the same cluster that belongs to another group. */
  readonly otherTaskArn: string;
}

export interface Backend {
  readonly name: BackendName;
  readonly clients: AwsClients;
  /** A cluster with a service of `count` RUNNING tasks, and one task of another group. */
  arrangeService(cluster: string, service: string, count: number): Promise<ArrangedService>;
  close(): Promise<void>;
}

/** awsvpc (Fargate) tasks and services need a network configuration of existing subnets, in AWS as in moto. */
function network(subnet: string, securityGroup: string) {
  // securityGroups is optional in AWS (the VPC's default group); moto 5.2 fails (500, a KeyError) without it.
  return {
    awsvpcConfiguration: {
      subnets: [subnet],
      securityGroups: [securityGroup],
      assignPublicIp: 'DISABLED' as const,
    },
  };
}

/**
 * The first id of moto's default VPC that an EC2 query-protocol action lists (the project has
 * no EC2 client; moto routes by the credential scope and checks no signature).
 */
async function motoEc2Id(endpoint: string, action: string, element: string): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `Action=${action}&Version=2016-11-15`,
  });
  const id = new RegExp(`<${element}>([^<]+)</${element}>`).exec(await res.text())?.[1];
  if (id === undefined) throw new Error(`moto's ${action} named no ${element} in ${REGION}`);
  return id;
}
const CREDENTIALS = { accessKeyId: 'contract', secretAccessKey: 'contract' };
const REGION = 'us-east-1';

function clientsFor(endpoint: { ecs: string; cloudwatch: string; dynamodb: string }): AwsClients {
  return createAwsClients({ region: REGION, endpoints: endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
}

export async function startLocalBackend(): Promise<Backend> {
  const dynamo = await startDynalite();
  const cloud: LocalCloud = await startLocalCloud({ ecs: { seed: 3, startupSeconds: 60 } });
  const clients = clientsFor({ ecs: cloud.endpoint, cloudwatch: cloud.endpoint, dynamodb: dynamo.endpoint });
  return {
    name: 'local',
    clients,
    async arrangeService(cluster, service, count) {
      cloud.ecs.createService({
        cluster,
        serviceName: service,
        desiredCount: count,
        initialTasksRunning: true,
      });
      cloud.ecs.createService({
        cluster,
        serviceName: `${service}-other`,
        desiredCount: 1,
        initialTasksRunning: true,
      });
      const arns = (name: string) => cloud.ecs.tasks({ cluster, serviceName: name }).map((t) => t.taskArn);
      return { cluster, service, taskArns: arns(service), otherTaskArn: arns(`${service}-other`)[0] ?? '' };
    },
    async close() {
      for (const c of Object.values(clients)) c.destroy();
      await Promise.all([cloud.close(), dynamo.close()]);
    },
  };
}

/** What the moto backend needs on this machine; the tests fail with this sentence when it is absent. */
export const MOTO_PREREQUISITE =
  "moto's server mode (PyPI: pip install 'moto[server]'; .ci/run installs it) for python3";

function motoAvailable(): string | undefined {
  const probe = spawnSync(
    'python3',
    ['-c', 'import moto, moto.server, flask, flask_cors; print(moto.__version__)'],
    {
      encoding: 'utf8',
    },
  );
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${output()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${output()}`);
}

/** The moto version the suite ran against, for the test titles and the docs. */
export let motoVersion = 'unknown';

export async function startMotoBackend(): Promise<Backend> {
  const version = motoAvailable();
  if (version === undefined) {
    throw new Error(`The moto contract backend needs ${MOTO_PREREQUISITE}; it is missing on this machine.`);
  }
  motoVersion = version;
  const port = await freePort();
  const child = spawn(
    'python3',
    [
      '-c',
      'import sys; from moto.server import main; sys.exit(main(sys.argv[1:]))',
      '-H',
      '127.0.0.1',
      '-p',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, () => log);
  } catch (error) {
    child.kill();
    throw error;
  }
  const clients = clientsFor({ ecs: endpoint, cloudwatch: endpoint, dynamodb: endpoint });
  const ecs: ECSClient = clients.ecs;
  const NETWORK = network(
    await motoEc2Id(endpoint, 'DescribeSubnets', 'subnetId'),
    await motoEc2Id(endpoint, 'DescribeSecurityGroups', 'groupId'),
  );
  return {
    name: 'moto',
    clients,
    async arrangeService(cluster, service, count) {
      await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
      const family = `${service}-td`;
      const td = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '1024',
          memory: '4096',
          // Container cpu/memory are optional on Fargate, but moto 5.2's RunTask fails (500, a TypeError) without them.
          containerDefinitions: [
            { name: 'taskmanager', image: 'flink:1.20', essential: true, cpu: 1024, memory: 4096 },
          ],
        }),
      );
      const taskDefinition = td.taskDefinition?.taskDefinitionArn ?? family;
      await ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: service,
          taskDefinition,
          desiredCount: count,
          launchType: 'FARGATE',
          networkConfiguration: NETWORK,
        }),
      );
      // moto's services launch no tasks (see MOTO_GAPS): the service's tasks are run by hand.
      const run = async (group: string, n: number) =>
        (
          await ecs.send(
            new RunTaskCommand({
              cluster,
              taskDefinition,
              count: n,
              launchType: 'FARGATE',
              networkConfiguration: NETWORK,
              group,
              startedBy: 'contract',
            }),
          )
        ).tasks?.map((t) => t.taskArn ?? '') ?? [];
      const taskArns = await run(`service:${service}`, count);
      const [otherTaskArn = ''] = await run(`service:${service}-other`, 1);
      return { cluster, service, taskArns, otherTaskArn };
    },
    async close() {
      for (const c of Object.values(clients)) c.destroy();
      child.kill();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
    },
  };
}
