import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FunctionError,
  InvokeError,
  isLoopbackEndpoint,
  LambdaInvoker,
  stackOutput,
  toFunctionError,
} from '../../../lib/aws/lambda-invoker';

/** A response payload as the SDK hands it over (a Uint8Array that can turn itself into text). */
function text(body: string): InvokeCommandOutput['Payload'] {
  return Object.assign(new TextEncoder().encode(body), {
    transformToString: () => body,
  }) as InvokeCommandOutput['Payload'];
}
const payload = (value: unknown) => text(JSON.stringify(value));

describe('Class: LambdaInvoker', () => {
  const client = new LambdaClient({ region: 'us-east-1' });
  const lambda = mockClient(client);
  const invoker = new LambdaInvoker({ functionName: 'scaler', client, throttleRetries: 0 });

  beforeEach(() => {
    lambda.reset();
  });

  it('invokes synchronously with the JSON payload and returns the JSON answer', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ reason: 'Status' }) });
    // Act
    const answer = await invoker.invoke({ action: 'status', limit: 5 });
    // Assess
    expect(answer).toEqual({ reason: 'Status' });
    expect(lambda).toReceiveCommandWith(InvokeCommand, {
      FunctionName: 'scaler',
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode('{"action":"status","limit":5}'),
    });
  });

  it('turns a function error into one line without the trace', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({
        errorType: 'ValidationError',
        errorMessage: 'invalid manual payload: desiredCount: must be between 1 and 24',
        trace: ['ValidationError: invalid manual payload', '    at parseWith (/var/task/index.js:1:1)'],
      }),
    });
    // Act
    const error = await invoker.invoke({ action: 'rescale' }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).message).toBe(
      'function "scaler" failed: ValidationError: invalid manual payload: desiredCount: must be between 1 and 24',
    );
  });

  it('names a missing function', async () => {
    lambda.on(InvokeCommand).rejects(
      new ResourceNotFoundException({
        $metadata: { httpStatusCode: 404 },
        message: 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:scaler',
        Type: 'User',
      }),
    );
    const error = await invoker.invoke({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error).toMatchObject({ failure: 'not-found' });
    expect((error as Error).message).toMatch(
      /^function "scaler" not found at AWS Lambda \(Function not found: arn:/,
    );
  });

  it('classifies throttling, refused connections and timeouts', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(
        new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' }),
      )
      .rejectsOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))
      .rejectsOnce(
        Object.assign(new Error('Socket timed out without establishing a connection'), {
          name: 'TimeoutError',
        }),
      );
    const failures = [];
    for (let i = 0; i < 3; i++)
      failures.push(((await invoker.invoke({}).catch((e: unknown) => e)) as InvokeError).failure);
    expect(failures).toEqual(['throttled', 'unreachable', 'unreachable']);
  });

  it('retries a throttled invoke with backoff, saying so before each retry, and returns the answer', async () => {
    // Prepare: throttled twice (the account's concurrency is used up), then answered
    const throttled = () =>
      new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' });
    lambda
      .on(InvokeCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ StatusCode: 200, Payload: payload({ reason: 'Applied' }) });
    const slept: number[] = [];
    const told: string[] = [];
    const retrying = new LambdaInvoker({
      functionName: 'scaler',
      client,
      sleep: async (ms) => {
        slept.push(ms);
      },
      onThrottled: ({ attempt, of, error }) => told.push(`${attempt}/${of} ${error.failure}`),
    });
    // Act
    const answer = await retrying.invoke({ action: 'resume' });
    // Assess: two retries told, backoff 1 s then 2 s (±20 %), three invokes sent
    expect(answer).toEqual({ reason: 'Applied' });
    expect(told).toEqual(['1/3 throttled', '2/3 throttled']);
    expect(slept[0]).toBeGreaterThanOrEqual(800);
    expect(slept[0]).toBeLessThanOrEqual(1200);
    expect(slept[1]).toBeGreaterThanOrEqual(1600);
    expect(slept[1]).toBeLessThanOrEqual(2400);
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
  });

  it('gives up on a throttled invoke after its retries, with the throttling error', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(
        new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' }),
      );
    const retrying = new LambdaInvoker({
      functionName: 'scaler',
      client,
      throttleRetries: 2,
      sleep: async () => {},
    });
    const error = (await retrying.invoke({}).catch((e: unknown) => e)) as InvokeError;
    expect(error.failure).toBe('throttled');
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
  });

  it('does not retry an invoke that failed otherwise', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const retrying = new LambdaInvoker({ functionName: 'scaler', client, sleep: async () => {} });
    await expect(retrying.invoke({})).rejects.toThrow(/cannot reach/);
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
  });

  it('rejects an answer that is not JSON', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: text('<html>') });
    await expect(invoker.invoke({})).rejects.toThrow(
      'function "scaler" returned something that is not JSON: <html>',
    );
  });
});

describe('Method: LambdaInvoker.bounds', () => {
  const client = new LambdaClient({ region: 'us-east-1' });
  const lambda = mockClient(client);
  const invoker = new LambdaInvoker({ functionName: 'scaler:live', client });
  const config = {
    appId: 'app',
    ecs: { cluster: 'c', service: 's' },
    partitions: 32,
    metrics: { preset: 'flink-prometheus', dimensions: { ClusterName: 'c' } },
    policy: { minTaskManagers: 2, maxTaskManagers: 24 },
  };

  beforeEach(() => {
    lambda.reset();
  });

  it("reads policy.min/maxTaskManagers from the function's AUTOSCALER_CONFIG", async () => {
    // Prepare
    lambda.on(GetFunctionConfigurationCommand).resolves({
      FunctionName: 'scaler',
      Environment: { Variables: { AUTOSCALER_CONFIG: JSON.stringify(config), TABLE_NAME: 't' } },
    });
    // Act
    const bounds = await invoker.bounds();
    // Assess
    expect(bounds).toEqual({ minTaskManagers: 2, maxTaskManagers: 24 });
    expect(lambda).toReceiveCommandWith(GetFunctionConfigurationCommand, { FunctionName: 'scaler:live' });
    expect(lambda).not.toReceiveCommand(InvokeCommand);
  });

  it('is undefined when the variable is absent or unreadable', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ FunctionName: 'scaler' })
      .resolvesOnce({ Environment: { Variables: { TABLE_NAME: 't' } } })
      .resolvesOnce({ Environment: { Variables: { AUTOSCALER_CONFIG: '{not json' } } });
    expect([await invoker.bounds(), await invoker.bounds(), await invoker.bounds()]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('is undefined when the call is denied or not supported', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform: lambda:GetFunctionConfiguration'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 403 },
        }),
      )
      .rejectsOnce(
        Object.assign(new Error('Unknown operation GET /2015-03-31/functions/scaler/configuration'), {
          name: 'UnknownOperationException',
          $metadata: { httpStatusCode: 404 },
        }),
      );
    expect([await invoker.bounds(), await invoker.bounds()]).toEqual([undefined, undefined]);
  });

  it('fails as an invoke would for a missing function or an unreachable endpoint', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejectsOnce(
        new ResourceNotFoundException({
          $metadata: { httpStatusCode: 404 },
          message: 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:scaler:live',
          Type: 'User',
        }),
      )
      .rejectsOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const missing = await invoker.bounds().catch((e: unknown) => e);
    const unreachable = await invoker.bounds().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvokeError);
    expect(missing).toMatchObject({ failure: 'not-found' });
    expect((missing as Error).message).toMatch(
      /^function "scaler:live" not found at AWS Lambda \(Function not found: /,
    );
    expect(unreachable).toMatchObject({ failure: 'unreachable' });
  });
});

describe('Function: toFunctionError', () => {
  it('falls back to the error kind and the raw text when the payload is not the runtime’s JSON', () => {
    expect(toFunctionError('fn', 'Unhandled', 'Task timed out\nafter 50.00 seconds').message).toBe(
      'function "fn" failed: Unhandled: Task timed out after 50.00 seconds',
    );
  });
});

describe('Function: isLoopbackEndpoint', () => {
  it.each([
    ['http://127.0.0.1:9500', true],
    ['http://localhost:9500', true],
    ['https://lambda.us-east-1.amazonaws.com', false],
    [undefined, false],
    ['nonsense', false],
  ])('%j → %j', (endpoint, loopback) => {
    expect(isLoopbackEndpoint(endpoint)).toBe(loopback);
  });
});

describe('Function: stackOutput', () => {
  const client = new CloudFormationClient({ region: 'us-east-1' });
  const cfn = mockClient(client);

  beforeEach(() => {
    cfn.reset();
  });

  it('reads the output of the stack', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'FlinkAutoscaler-app' }).resolves({
      Stacks: [
        {
          StackName: 'FlinkAutoscaler-app',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'ScalerFunctionName', OutputValue: 'app-scaler-123' }],
        },
      ],
    });
    await expect(stackOutput('FlinkAutoscaler-app', 'ScalerFunctionName', { client })).resolves.toBe(
      'app-scaler-123',
    );
  });

  it('names a stack without the output', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 's', CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    await expect(stackOutput('s', 'ScalerFunctionName', { client })).rejects.toThrow(
      'stack "s" has no output ScalerFunctionName',
    );
  });

  it('names a stack that does not exist', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id nope does not exist'), {
        name: 'ValidationError',
        $metadata: {},
      }),
    );
    await expect(stackOutput('nope', 'ScalerFunctionName', { client })).rejects.toThrow(
      'stack "nope" not found: Stack with id nope does not exist',
    );
  });
});
