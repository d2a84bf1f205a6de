/**
 * The Lambda-compatible endpoint of `local up` (playground/src/lambda-endpoint) against the real
 * AWS SDK Lambda client (lib/aws/lambda-invoker) and raw HTTP: results, function errors,
 * unknown functions, invocation types and bad payloads, as the Lambda Invoke API answers them;
 * and GetFunctionConfiguration, which the CLI reads the scaler's bounds with.
 */

import { FunctionError, InvokeError, LambdaInvoker } from 'flink-ecs-autoscaler/lib/aws/lambda-invoker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioAppConfig } from '../../src/engine';
import { type LambdaEndpoint, parseFunctionRef, startLambdaEndpoint } from '../../src/lambda-endpoint';
import { playgroundScenario } from '../../src/local-up';

class BoomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

describe('Function: startLambdaEndpoint', () => {
  let endpoint: LambdaEndpoint;
  const events: unknown[] = [];
  const never = new Promise<unknown>(() => undefined);

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    endpoint = await startLambdaEndpoint({
      functions: {
        echo: async (event) => {
          events.push(event);
          return { got: event };
        },
        boom: async () => {
          throw new BoomError('invalid manual payload: desiredCount: must be between 1 and 24');
        },
        hang: () => never,
      },
      environments: {
        echo: {
          AUTOSCALER_CONFIG: JSON.stringify(scenarioAppConfig(playgroundScenario().scenario, 'rate')),
          TABLE_NAME: 'flink-ecs-autoscaler',
        },
      },
    });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  const invoker = (functionName: string, extra: { deadlineMs?: number } = {}) =>
    new LambdaInvoker({ functionName, endpoint: endpoint.endpoint, ...extra }, {});

  it('returns the handler’s JSON result to the SDK client', async () => {
    // Act
    const answer = await invoker('echo').invoke({ action: 'status', limit: 3 });
    // Assess
    expect(answer).toEqual({ got: { action: 'status', limit: 3 } });
    expect(endpoint.requests.at(-1)).toMatchObject({
      functionName: 'echo',
      invocationType: 'RequestResponse',
      status: 200,
    });
  });

  it('accepts the function’s ARN and partial ARN, and $LATEST', async () => {
    await expect(invoker('arn:aws:lambda:us-east-1:123456789012:function:echo').invoke(1)).resolves.toEqual({
      got: 1,
    });
    await expect(invoker('123456789012:function:echo:$LATEST').invoke(2)).resolves.toEqual({ got: 2 });
  });

  it('reports a handler error as X-Amz-Function-Error: Unhandled with errorType and errorMessage', async () => {
    // Act
    const error = await invoker('boom')
      .invoke({})
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({
      errorType: 'ValidationError',
      errorMessage: 'invalid manual payload: desiredCount: must be between 1 and 24',
    });
    expect(endpoint.requests.at(-1)).toMatchObject({ status: 200, functionError: 'Unhandled' });
    const raw = await fetch(`${endpoint.endpoint}/2015-03-31/functions/boom/invocations`, {
      method: 'POST',
      body: '{}',
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await raw.json()).toMatchObject({
      errorType: 'ValidationError',
      errorMessage: expect.any(String),
    });
  });

  it('answers an unknown function or qualifier with 404 ResourceNotFoundException, as Lambda does', async () => {
    // Act
    const error = await invoker('nope')
      .invoke({})
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(InvokeError);
    expect((error as Error).message).toBe(
      `function "nope" not found at ${endpoint.endpoint} (Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope)`,
    );
    expect(endpoint.requests.at(-1)).toMatchObject({ status: 404, errorCode: 'ResourceNotFoundException' });
    await expect(invoker('echo:prod').invoke({})).rejects.toMatchObject({ failure: 'not-found' });
  });

  it('serves the Event and DryRun invocation types', async () => {
    // Act
    const url = `${endpoint.endpoint}/2015-03-31/functions/echo/invocations`;
    const before = events.length;
    const dry = await fetch(url, {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'X-Amz-Invocation-Type': 'DryRun' },
    });
    const async = await fetch(url, {
      method: 'POST',
      body: '{"n":2}',
      headers: { 'X-Amz-Invocation-Type': 'Event' },
    });
    await new Promise((r) => setTimeout(r, 20));
    // Assess
    expect([dry.status, async.status]).toEqual([204, 202]);
    expect(events.slice(before)).toEqual([{ n: 2 }]);
  });

  it('rejects a body that is not JSON and paths that are not Invoke', async () => {
    const bad = await fetch(`${endpoint.endpoint}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    const other = await fetch(`${endpoint.endpoint}/2015-03-31/functions`, { method: 'GET' });
    expect(other.status).toBe(404);
  });

  it('serves GetFunctionConfiguration with the function’s environment, logged apart from invocations', async () => {
    // Act
    const res = await fetch(`${endpoint.endpoint}/2015-03-31/functions/echo/configuration`);
    const body = (await res.json()) as {
      FunctionName: string;
      FunctionArn: string;
      Runtime: string;
      Handler: string;
      Environment: { Variables: Record<string, string> };
    };
    const bounds = await invoker('echo').bounds();
    // Assess
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      FunctionName: 'echo',
      FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
      Runtime: expect.stringMatching(/^nodejs/),
      Handler: expect.any(String),
      Environment: { Variables: { TABLE_NAME: 'flink-ecs-autoscaler' } },
    });
    expect(JSON.parse(body.Environment.Variables.AUTOSCALER_CONFIG ?? '')).toMatchObject({
      policy: { minTaskManagers: 1, maxTaskManagers: 24 },
    });
    expect(bounds).toEqual({ minTaskManagers: 1, maxTaskManagers: 24 });
    expect(endpoint.requests.at(-1)).toMatchObject({
      operation: 'GetFunctionConfiguration',
      method: 'GET',
      functionName: 'echo',
      invocationType: '',
      status: 200,
    });
  });

  it('GetFunctionConfiguration: no environment gives no bounds; an unknown function is 404 ResourceNotFoundException', async () => {
    // Act
    const none = await invoker('boom').bounds();
    const missing = await invoker('nope')
      .bounds()
      .catch((e: unknown) => e);
    const qualified = await fetch(`${endpoint.endpoint}/2015-03-31/functions/echo/configuration?Qualifier=7`);
    // Assess
    expect(none).toBeUndefined();
    expect(missing).toBeInstanceOf(InvokeError);
    expect((missing as Error).message).toBe(
      `function "nope" not found at ${endpoint.endpoint} (Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope)`,
    );
    expect(qualified.status).toBe(404);
    expect(qualified.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(endpoint.requests.at(-1)).toMatchObject({
      operation: 'GetFunctionConfiguration',
      status: 404,
      errorCode: 'ResourceNotFoundException',
    });
  });

  it('gives up on a function that never answers at the invoker’s deadline', async () => {
    const started = Date.now();
    const error = await invoker('hang', { deadlineMs: 300 })
      .invoke({})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'unreachable' });
    expect((error as Error).message).toMatch(
      /^no answer from function "hang" at http:\/\/127\.0\.0\.1:\d+ within 0\.3 s$/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('Function: parseFunctionRef', () => {
  it.each([
    ['scaler', { name: 'scaler' }],
    ['scaler:$LATEST', { name: 'scaler', qualifier: '$LATEST' }],
    ['123456789012:function:scaler', { name: 'scaler' }],
    ['arn:aws:lambda:eu-west-1:123456789012:function:scaler:live', { name: 'scaler', qualifier: 'live' }],
  ])('%j → %j', (ref, parsed) => {
    expect(parseFunctionRef(ref)).toEqual(parsed);
  });
});
