import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients, createRequestHandler, resolveRegion } from '../../../lib/aws/clients';
import { ConfigError } from '../../../lib/core/errors';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

interface Recorder {
  readonly url: string;
  readonly requests: { target: string | undefined; host: string | undefined }[];
  close(): Promise<void>;
}

/** A loopback server that answers every JSON-protocol call with `body`, or never answers when body is undefined. */
async function startServer(body: Record<string, unknown> | undefined): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ target: req.headers['x-amz-target'] as string | undefined, host: req.headers.host });
      if (body === undefined) return; // hang
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Function: createAwsClients', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each([
    { name: 'the option', option: 'eu-west-1', env: 'us-west-2', expected: 'eu-west-1' },
    { name: 'AWS_REGION', option: undefined, env: 'us-west-2', expected: 'us-west-2' },
    {
      name: 'the default when AWS_REGION is unset',
      option: undefined,
      env: undefined,
      expected: 'us-east-1',
    },
    { name: 'the default when AWS_REGION is blank', option: undefined, env: ' ', expected: 'us-east-1' },
  ])('takes the region from $name', ({ option, env, expected }) => {
    expect(resolveRegion(option, env === undefined ? {} : { AWS_REGION: env })).toBe(expected);
  });

  it('configures every client with the region, 3 attempts and standard retries by default', async () => {
    // Act
    const clients = createAwsClients({ region: 'eu-central-1', credentials });

    // Assess
    for (const client of [clients.ecs, clients.cloudwatch, clients.dynamodb]) {
      expect(await client.config.region()).toBe('eu-central-1');
      expect(await client.config.maxAttempts()).toBe(3);
      const strategy = (await client.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('standard');
      client.destroy();
    }
  });

  it('shares an injected request handler across the three clients', () => {
    // Prepare
    const handler = createRequestHandler();

    // Act
    const clients = createAwsClients({ requestHandler: handler, credentials });

    // Assess
    expect(clients.ecs.config.requestHandler).toBe(handler);
    expect(clients.cloudwatch.config.requestHandler).toBe(handler);
    expect(clients.dynamodb.config.requestHandler).toBe(handler);
  });

  it.each([0, 1.5])('rejects maxAttempts=%s', (maxAttempts) => {
    expect(() => createAwsClients({ maxAttempts })).toThrow(ConfigError);
  });

  it('sends each service to its endpoint override', async () => {
    // Prepare
    const ddbServer = await startServer({ TableNames: [] });
    const ecsServer = await startServer({ clusterArns: [] });
    cleanups.push(ddbServer.close, ecsServer.close);
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials,
      endpoints: { dynamodb: ddbServer.url, ecs: ecsServer.url },
    });
    cleanups.push(
      () => clients.dynamodb.destroy(),
      () => clients.ecs.destroy(),
    );

    // Act
    await clients.dynamodb.send(new ListTablesCommand({}));
    await clients.ecs.send(new ListClustersCommand({}));

    // Assess
    expect(ddbServer.requests.map((r) => r.target)).toEqual(['DynamoDB_20120810.ListTables']);
    expect(ecsServer.requests.map((r) => r.target)).toEqual([
      'AmazonEC2ContainerServiceV20141113.ListClusters',
    ]);
  });

  it('leaves AWS_ENDPOINT_URL_<SERVICE> working when no override is given', async () => {
    // Prepare
    const ddbServer = await startServer({ TableNames: [] });
    const ecsServer = await startServer({ clusterArns: [] });
    cleanups.push(ddbServer.close, ecsServer.close);
    const saved = { ddb: process.env.AWS_ENDPOINT_URL_DYNAMODB, ecs: process.env.AWS_ENDPOINT_URL_ECS };
    process.env.AWS_ENDPOINT_URL_DYNAMODB = ddbServer.url;
    process.env.AWS_ENDPOINT_URL_ECS = ecsServer.url;
    cleanups.push(() => {
      if (saved.ddb === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = saved.ddb;
      if (saved.ecs === undefined) delete process.env.AWS_ENDPOINT_URL_ECS;
      else process.env.AWS_ENDPOINT_URL_ECS = saved.ecs;
    });
    const clients = createAwsClients({ region: 'us-east-1', credentials });
    cleanups.push(
      () => clients.dynamodb.destroy(),
      () => clients.ecs.destroy(),
    );

    // Act
    await clients.dynamodb.send(new ListTablesCommand({}));
    await clients.ecs.send(new ListClustersCommand({}));

    // Assess
    expect(ddbServer.requests).toHaveLength(1);
    expect(ecsServer.requests).toHaveLength(1);
  });

  it('ends a request to a dependency that never answers at the request timeout', async () => {
    // Prepare
    const hung = await startServer(undefined);
    cleanups.push(hung.close);
    const { dynamodb } = createAwsClients({
      region: 'us-east-1',
      credentials,
      endpoints: { dynamodb: hung.url },
      maxAttempts: 2,
      requestTimeoutMs: 200,
    });
    cleanups.push(() => dynamodb.destroy());
    const started = Date.now();

    // Act
    const failure = await dynamodb.send(new ListTablesCommand({})).catch((e: unknown) => e);

    // Assess
    const elapsed = Date.now() - started;
    expect((failure as Error).name).toBe('TimeoutError');
    expect(hung.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5000);
  });

  it('times out a hung request after about 5 s by default', async () => {
    // Prepare
    const hung = await startServer(undefined);
    cleanups.push(hung.close);
    const { dynamodb } = createAwsClients({
      region: 'us-east-1',
      credentials,
      endpoints: { dynamodb: hung.url },
      maxAttempts: 1,
    });
    cleanups.push(() => dynamodb.destroy());
    const started = Date.now();

    // Act
    const failure = await dynamodb.send(new ListTablesCommand({})).catch((e: unknown) => e);

    // Assess
    const elapsed = Date.now() - started;
    expect((failure as Error).name).toBe('TimeoutError');
    expect(elapsed).toBeGreaterThanOrEqual(4900);
    expect(elapsed).toBeLessThan(8000);
  });
});
