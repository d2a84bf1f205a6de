/**
 * A Lambda-compatible invoke endpoint on 127.0.0.1, so that the AWS SDK's Lambda client (and
 * so the operator CLI, with `--endpoint`) invokes local handlers exactly as it invokes
 * deployed functions. It serves the Invoke and GetFunctionConfiguration REST APIs:
 *
 *   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=$LATEST]
 *   GET  /2015-03-31/functions/{FunctionName}/configuration[?Qualifier=$LATEST]
 *
 * - RequestResponse (default): 200 with the handler's JSON result. A handler that throws
 *   gives 200 with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage, trace}`,
 *   as the Node.js runtime reports an uncaught error.
 * - Event: 202, the handler runs after the response. DryRun: 204, the handler does not run.
 * - An unknown function (name, ARN or partial ARN) or qualifier: 404 ResourceNotFoundException;
 *   a body that is not JSON: 400 InvalidRequestContentException; over 6 MB: 413
 *   RequestTooLargeException; any other path: 404 UnknownOperationException.
 *
 * GetFunctionConfiguration answers FunctionName, FunctionArn, Runtime, Handler and the
 * function's Environment (as given in `environments`).
 *
 * Every request is logged (operation, function, invocation type, status, function error) for tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LambdaHandler = (event: unknown) => Promise<unknown>;

export interface LambdaEndpointOptions {
  /** Function name → handler. */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  /** Function name → its environment variables, for GetFunctionConfiguration. @default none */
  readonly environments?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Used in the ARNs of error messages. @default 'us-east-1' */
  readonly region?: string;
  /** Used in the ARNs of error messages. @default '123456789012' */
  readonly accountId?: string;
  /**
   * Serves every request whose path is not a Lambda API path (/2015-03-31/…) — the local
   * cloud's ECS, CloudWatch and DynamoDB, so that one port serves all four services.
   * @default none: such requests get 404 UnknownOperationException
   */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The API operation of a request; `Unknown` for a path the endpoint does not serve. */
export type LambdaOperation = 'Invoke' | 'GetFunctionConfiguration' | 'Unknown';

export interface LambdaRequestLogEntry {
  readonly operation: LambdaOperation;
  readonly method: string;
  readonly path: string;
  /** The function named in the path, as given (name or ARN); '' when the path is not an API call. */
  readonly functionName: string;
  /** The invocation type of an Invoke; '' for other operations. */
  readonly invocationType: string;
  readonly status: number;
  /** The error code of a rejected request (e.g. ResourceNotFoundException). */
  readonly errorCode?: string;
  /** `Unhandled` when the handler threw. */
  readonly functionError?: string;
  readonly atMs: number;
}

export interface LambdaEndpoint {
  /** e.g. http://127.0.0.1:43117 — the endpoint for the Lambda client. */
  readonly endpoint: string;
  readonly port: number;
  /** Every request served, oldest first (a live array). */
  readonly requests: readonly LambdaRequestLogEntry[];
  /** Stops accepting requests and resolves once the invocations in flight have answered. */
  close(): Promise<void>;
}

/** Lambda's synchronous invocation payload limit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const LAMBDA_API_PREFIX = '/2015-03-31/';
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/;

interface Reply {
  readonly operation?: LambdaOperation;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly errorCode?: string;
  readonly functionError?: string;
}

function errorReply(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify({ Type: 'User', Message: message, message }),
    errorCode: code,
  };
}

/**
 * The function name and qualifier of an Invoke path segment: `name`, `name:qualifier`,
 * `123456789012:function:name[:qualifier]` or `arn:aws:lambda:region:account:function:name[:qualifier]`.
 */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const parts = ref.split(':');
  let rest = parts;
  if (parts[0] === 'arn' && parts.length >= 7 && parts[5] === 'function') rest = parts.slice(6);
  else if (parts.length >= 3 && parts[1] === 'function') rest = parts.slice(2);
  const [name = '', qualifier] = rest;
  return qualifier !== undefined && qualifier !== '' ? { name, qualifier } : { name };
}

/** What the Node.js runtime reports for an uncaught error. */
function unhandled(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').filter((l) => l.trim() !== ''),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

/** Starts the endpoint on 127.0.0.1. */
export async function startLambdaEndpoint(options: LambdaEndpointOptions): Promise<LambdaEndpoint> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const requests: LambdaRequestLogEntry[] = [];
  const arnOf = (name: string, qualifier?: string) =>
    `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;

  const notFound = (name: string, qualifier: string | undefined) =>
    errorReply(404, 'ResourceNotFoundException', `Function not found: ${arnOf(name, qualifier)}`);

  /** GetFunctionConfiguration: the function's identity and environment, as Lambda answers it. */
  const configuration = (
    ref: string,
    query: URLSearchParams,
  ): Reply & { functionName: string; invocationType: string } => {
    const base = { operation: 'GetFunctionConfiguration' as const, functionName: ref, invocationType: '' };
    const parsed = parseFunctionRef(ref);
    const qualifier = query.get('Qualifier') ?? parsed.qualifier;
    if (
      !Object.hasOwn(options.functions, parsed.name) ||
      (qualifier !== undefined && qualifier !== '$LATEST')
    ) {
      return { ...notFound(parsed.name, qualifier), ...base };
    }
    const variables = options.environments?.[parsed.name] ?? {};
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FunctionName: parsed.name,
        FunctionArn: arnOf(parsed.name),
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Version: '$LATEST',
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: 'Zip',
        Environment: { Variables: { ...variables } },
      }),
      ...base,
    };
  };

  const invoke = async (
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage['headers'],
    body: string | undefined,
  ): Promise<Reply & { functionName: string; invocationType: string }> => {
    const config = CONFIGURATION_PATH.exec(path);
    if (config && method === 'GET') return configuration(decodeURIComponent(config[1] ?? ''), query);
    const match = INVOKE_PATH.exec(path);
    const invocationType = String(headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!match || method !== 'POST') {
      return {
        ...errorReply(404, 'UnknownOperationException', `Unknown operation ${method} ${path}`),
        operation: 'Unknown',
        functionName: '',
        invocationType,
      };
    }
    const ref = decodeURIComponent(match[1] ?? '');
    const base = { operation: 'Invoke' as const, functionName: ref, invocationType };
    const parsed = parseFunctionRef(ref);
    const qualifier = query.get('Qualifier') ?? parsed.qualifier;
    const handler = Object.hasOwn(options.functions, parsed.name)
      ? options.functions[parsed.name]
      : undefined;
    if (!handler || (qualifier !== undefined && qualifier !== '$LATEST')) {
      return { ...notFound(parsed.name, qualifier), ...base };
    }
    if (body === undefined) {
      return {
        ...errorReply(
          413,
          'RequestTooLargeException',
          'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
        ),
        ...base,
      };
    }
    let event: unknown = {};
    if (body.trim() !== '') {
      try {
        event = JSON.parse(body);
      } catch {
        return {
          ...errorReply(
            400,
            'InvalidRequestContentException',
            'Could not parse request body into json: the payload is not valid JSON',
          ),
          ...base,
        };
      }
    }
    const executed = { 'x-amz-executed-version': '$LATEST' };
    if (invocationType === 'DryRun') return { status: 204, headers: executed, body: '', ...base };
    if (invocationType === 'Event') {
      setImmediate(() => {
        handler(event).catch(() => undefined);
      });
      return { status: 202, headers: executed, body: '', ...base };
    }
    if (invocationType !== 'RequestResponse') {
      return {
        ...errorReply(
          400,
          'InvalidParameterValueException',
          `Unsupported invocation type: ${invocationType}`,
        ),
        ...base,
      };
    }
    try {
      const result = await handler(event);
      return {
        status: 200,
        headers: { ...executed, 'content-type': 'application/json' },
        body: result === undefined ? 'null' : JSON.stringify(result),
        ...base,
      };
    } catch (error) {
      return {
        status: 200,
        headers: { ...executed, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify(unhandled(error)),
        functionError: 'Unhandled',
        ...base,
      };
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const atMs = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    let reply: Reply & { functionName: string; invocationType: string };
    try {
      reply = await invoke(method, url.pathname, url.searchParams, req.headers, await readBody(req));
    } catch (error) {
      reply = {
        ...errorReply(500, 'ServiceException', error instanceof Error ? error.message : String(error)),
        operation: 'Unknown',
        functionName: '',
        invocationType: '',
      };
    }
    requests.push({
      operation: reply.operation ?? 'Unknown',
      method,
      path: url.pathname,
      functionName: reply.functionName,
      invocationType: reply.invocationType,
      status: reply.status,
      ...(reply.errorCode ? { errorCode: reply.errorCode } : {}),
      ...(reply.functionError ? { functionError: reply.functionError } : {}),
      atMs,
    });
    if (res.destroyed) return;
    res.writeHead(reply.status, {
      ...reply.headers,
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(reply.body),
    });
    res.end(reply.body);
  };

  const server: Server = createServer((req, res) => {
    if (options.fallback && !(req.url ?? '/').startsWith(LAMBDA_API_PREFIX)) options.fallback(req, res);
    else void serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets would hold the server open; busy ones finish their invocation first.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

/** The request body as text, or undefined when it exceeds Lambda's payload limit. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}
