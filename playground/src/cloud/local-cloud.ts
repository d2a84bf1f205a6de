/**
 * The local cloud: one node:http server on 127.0.0.1 that speaks ECS (awsJson1_1) and
 * CloudWatch in both of its protocols — awsJson1_0 (query-compatible, routed by the
 * X-Amz-Target header) and the query protocol (a form POST naming its Action, answered in
 * XML) — to real AWS clients; with `dynamodbEndpoint`, DynamoDB requests
 * (X-Amz-Target DynamoDB_20120810.*) are passed through to it (dynalite), so one endpoint
 * serves all three. It records every request it served and can fail requests on demand
 * (throttling, server errors), so the functions run unmodified against it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseQueryForm,
  QUERY_CONTENT_TYPE,
  queryErrorXml,
  queryResponseXml,
  XML_CONTENT_TYPE,
} from './cloudwatch-query';
import {
  CLOUDWATCH_CONTENT_TYPE,
  CLOUDWATCH_TARGET_PREFIX,
  handleCloudWatchOperation,
} from './cloudwatch-server';
import { CloudWatchStore } from './cloudwatch-store';
import { EcsModel, type EcsModelOptions } from './ecs-model';
import { ECS_CONTENT_TYPE, ECS_TARGET_PREFIX, handleEcsOperation } from './ecs-server';
import { AwsApiError, CloudWatchApiError, EcsApiError, SimulationUsageError } from './errors';
import { randomUuid, seededRandom } from './random';

export type CloudServiceName = 'ecs' | 'cloudwatch';

/** The X-Amz-Target prefix of DynamoDB's awsJson1_0 API. */
export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810';

export interface RequestLogEntry {
  readonly service: CloudServiceName | 'dynamodb' | 'unknown';
  readonly operation: string;
  /** The clock when the request was served (the simulated clock when one is given). */
  readonly atMs: number;
  readonly status: number;
  /** The error code returned, for failed requests. */
  readonly errorCode?: string;
  /** The request body as it came, for the operations `recordBodies` names. */
  readonly body?: string;
}

/**
 * Errors that can be injected. Throttling maps to each service's own code
 * (ECS ThrottlingException, CloudWatch Throttling); server errors to ECS ServerException
 * and CloudWatch InternalServiceError / ServiceUnavailable.
 */
export type FaultError =
  | 'ThrottlingException'
  | 'Throttling'
  | 'ServerException'
  | 'InternalServiceError'
  | 'ServiceUnavailable';

export interface FaultSpec {
  readonly service: CloudServiceName;
  /** The operation to fail; every operation of the service when absent. */
  readonly operation?: string;
  readonly error: FaultError;
  /** How many matching requests fail. @default 1 */
  readonly times?: number;
}

export interface LocalCloudOptions {
  /** The clock (epoch ms) for the request log, CloudWatch visibility and ECS time. @default Date.now */
  readonly clock?: () => number;
  /**
   * An existing model, or options for a new one (starting at the clock's time unless startMs
   * is given). With a clock, each ECS request first advances the model to it.
   */
  readonly ecs?: EcsModel | EcsModelOptions;
  readonly cloudwatch?: CloudWatchStore;
  /** Delay before points sent with PutMetricData become visible to GetMetricData. @default 0 */
  readonly cloudwatchIngestionDelaySeconds?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Where DynamoDB requests are passed through to (dynalite's endpoint). @default none: UnknownOperationException */
  readonly dynamodbEndpoint?: string;
  /** The requests whose body the request log keeps (e.g. GetMetricData, to count the metrics asked for). @default none */
  readonly recordBodies?: (service: RequestLogEntry['service'], operation: string) => boolean;
}

/** A request and response without a socket, for an in-process SDK request handler. */
export interface LocalCloudRequest {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface LocalCloudResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LocalCloud {
  /** e.g. http://127.0.0.1:43117 — the endpoint for the SDK clients. */
  readonly endpoint: string;
  readonly ecs: EcsModel;
  readonly cloudwatch: CloudWatchStore;
  /** Every request served, oldest first (a live array). */
  readonly requests: readonly RequestLogEntry[];
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Serves one request in process, exactly as the HTTP server would. */
  dispatch(request: LocalCloudRequest): Promise<LocalCloudResponse>;
  /** Serves a request that arrived on another node:http server (one listener for every service). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface ActiveFault {
  readonly service: CloudServiceName;
  readonly operation?: string;
  readonly error: FaultError;
  remaining: number;
}

/** The error a fault produces for a service. */
export function faultToError(service: CloudServiceName, error: FaultError): AwsApiError {
  const throttled = error === 'ThrottlingException' || error === 'Throttling';
  if (service === 'ecs') {
    return throttled
      ? new EcsApiError('ThrottlingException', 'Rate exceeded')
      : new EcsApiError('ServerException', 'Service unavailable. Try again later.');
  }
  if (throttled) return new CloudWatchApiError('Throttling', 'Rate exceeded');
  return error === 'ServiceUnavailable'
    ? new CloudWatchApiError('ServiceUnavailable', 'Service unavailable. Try again later.')
    : new CloudWatchApiError('InternalServiceError', 'Internal service error.');
}

interface Route {
  readonly service: CloudServiceName | 'dynamodb' | 'unknown';
  readonly operation: string;
  /** CloudWatch's query protocol (form in, XML out); else the JSON protocols. */
  readonly query?: { readonly input: Record<string, unknown> };
}

/** The service and operation named by an X-Amz-Target header. */
export function routeOf(target: string | undefined): Route {
  const dot = target?.lastIndexOf('.') ?? -1;
  if (target === undefined || dot < 0) return { service: 'unknown', operation: target ?? '' };
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  if (prefix === ECS_TARGET_PREFIX) return { service: 'ecs', operation };
  if (prefix === CLOUDWATCH_TARGET_PREFIX) return { service: 'cloudwatch', operation };
  if (prefix === DYNAMODB_TARGET_PREFIX) return { service: 'dynamodb', operation };
  return { service: 'unknown', operation: target };
}

/** The route of a request: by X-Amz-Target, or a form-encoded query-protocol call (CloudWatch). */
function requestRoute(request: LocalCloudRequest): Route {
  const target = header(request.headers, 'x-amz-target');
  const contentType = header(request.headers, 'content-type') ?? '';
  if (target === undefined && contentType.toLowerCase().startsWith(QUERY_CONTENT_TYPE)) {
    const form = parseQueryForm(request.body);
    return { service: 'cloudwatch', operation: form.action, query: { input: form.input } };
  }
  return routeOf(target);
}

function errorResponse(route: Route, error: AwsApiError, requestId: string): LocalCloudResponse {
  const service = route.service;
  if (route.query && error instanceof CloudWatchApiError) {
    const named =
      error.code === 'UnknownOperationException'
        ? new CloudWatchApiError(
            'InvalidAction',
            `The action ${route.operation || '(none)'} is not valid for this web service.`,
          )
        : error;
    return {
      status: named.httpStatus,
      headers: { 'content-type': XML_CONTENT_TYPE, 'x-amzn-requestid': requestId },
      body: queryErrorXml(named, requestId),
    };
  }
  const body = (type: string): string => JSON.stringify({ __type: type, message: error.message });
  if (error instanceof CloudWatchApiError) {
    return {
      status: error.httpStatus,
      headers: {
        'content-type': CLOUDWATCH_CONTENT_TYPE,
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${error.code};${error.fault}`,
      },
      body: body(error.type),
    };
  }
  const headers: Record<string, string> = {
    'content-type': service === 'cloudwatch' ? CLOUDWATCH_CONTENT_TYPE : ECS_CONTENT_TYPE,
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': error.code,
  };
  // A query-compatible client (CloudWatch) cannot name an error without this header.
  if (service !== 'ecs') headers['x-amzn-query-error'] = `${error.code};Sender`;
  return { status: error.httpStatus, headers, body: body(error.code) };
}

function parseBody(service: CloudServiceName, text: string): unknown {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw service === 'ecs'
    ? new EcsApiError('SerializationException', 'The request body is not a JSON object.')
    : new CloudWatchApiError('MalformedInput', 'The request body is not a JSON object.');
}

function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Starts the local cloud on 127.0.0.1. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const clock = options.clock;
  const now = (): number => (clock ? clock() : Date.now());
  const ecs =
    options.ecs instanceof EcsModel
      ? options.ecs
      : new EcsModel({ ...options.ecs, startMs: options.ecs?.startMs ?? now() });
  const cloudwatch = options.cloudwatch ?? new CloudWatchStore();
  const ingestionDelayMs = (options.cloudwatchIngestionDelaySeconds ?? 0) * 1000;
  const requests: RequestLogEntry[] = [];
  const faults: ActiveFault[] = [];
  const requestIds = seededRandom(0x10ca1c10);

  const takeFault = (service: CloudServiceName, operation: string): AwsApiError | undefined => {
    const fault = faults.find(
      (f) =>
        f.remaining > 0 && f.service === service && (f.operation === undefined || f.operation === operation),
    );
    if (!fault) return undefined;
    fault.remaining--;
    return faultToError(service, fault.error);
  };

  const dynamodbEndpoint = options.dynamodbEndpoint;
  /** A DynamoDB request, passed through to dynalite as it came. */
  const forward = async (request: LocalCloudRequest): Promise<LocalCloudResponse> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) {
      if (v !== undefined && !['host', 'content-length', 'connection'].includes(k.toLowerCase()))
        headers[k] = v;
    }
    const reply = await fetch(dynamodbEndpoint ?? '', { method: 'POST', headers, body: request.body });
    const out: Record<string, string> = {};
    reply.headers.forEach((value, key) => {
      if (!['content-length', 'connection', 'transfer-encoding', 'keep-alive', 'date'].includes(key))
        out[key] = value;
    });
    return { status: reply.status, headers: out, body: await reply.text() };
  };

  const execute = (route: Route, request: LocalCloudRequest): Record<string, unknown> => {
    if ((request.method ?? 'POST').toUpperCase() !== 'POST') {
      throw new EcsApiError('UnknownOperationException', 'Only POST requests are served.');
    }
    if (route.service === 'unknown' || route.service === 'dynamodb') {
      throw new EcsApiError(
        'UnknownOperationException',
        `Unknown X-Amz-Target: ${route.operation || '(none)'}`,
      );
    }
    const fault = takeFault(route.service, route.operation);
    if (fault) throw fault;
    const input = route.query ? route.query.input : parseBody(route.service, request.body);
    if (route.service === 'ecs') {
      if (clock) ecs.advanceTo(clock());
      return handleEcsOperation(ecs, route.operation, input);
    }
    return handleCloudWatchOperation(cloudwatch, route.operation, input, { nowMs: now(), ingestionDelayMs });
  };

  const dispatch = async (request: LocalCloudRequest): Promise<LocalCloudResponse> => {
    const route = requestRoute(request);
    const requestId = randomUuid(requestIds);
    const atMs = now();
    let response: LocalCloudResponse;
    let errorCode: string | undefined;
    try {
      if (route.service === 'dynamodb' && dynamodbEndpoint !== undefined) {
        response = await forward(request);
      } else {
        const output = execute(route, request);
        response = route.query
          ? {
              status: 200,
              headers: { 'content-type': XML_CONTENT_TYPE, 'x-amzn-requestid': requestId },
              body: queryResponseXml(route.operation, output, requestId),
            }
          : {
              status: 200,
              headers: {
                'content-type': route.service === 'cloudwatch' ? CLOUDWATCH_CONTENT_TYPE : ECS_CONTENT_TYPE,
                'x-amzn-requestid': requestId,
              },
              body: JSON.stringify(output),
            };
      }
    } catch (error) {
      const apiError = toApiError(route.service === 'cloudwatch' ? 'cloudwatch' : 'ecs', error);
      errorCode = apiError.code;
      response = errorResponse(route, apiError, requestId);
    }
    requests.push({
      service: route.service,
      operation: route.operation,
      atMs,
      status: response.status,
      errorCode,
      ...(options.recordBodies?.(route.service, route.operation) ? { body: request.body } : {}),
    });
    return response;
  };

  const server: Server = createServer((req, res) => {
    void serve(req, res, dispatch);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    ecs,
    cloudwatch,
    requests,
    injectFault(fault: FaultSpec): void {
      const times = fault.times ?? 1;
      if (!Number.isInteger(times) || times < 1) {
        throw new SimulationUsageError(`fault times must be a positive integer, got ${times}`);
      }
      faults.push({
        service: fault.service,
        operation: fault.operation,
        error: fault.error,
        remaining: times,
      });
    },
    clearFaults(): void {
      faults.length = 0;
    },
    dispatch,
    handle(req: IncomingMessage, res: ServerResponse): void {
      void serve(req, res, dispatch);
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** Any failure inside an operation becomes an AWS-shaped error; unexpected ones are server errors. */
function toApiError(service: CloudServiceName | 'unknown', error: unknown): AwsApiError {
  if (error instanceof AwsApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SimulationUsageError) {
    return service === 'cloudwatch'
      ? new CloudWatchApiError('InvalidParameterValue', message)
      : new EcsApiError('InvalidParameterException', message);
  }
  return service === 'cloudwatch'
    ? new CloudWatchApiError('InternalServiceError', `Internal error: ${message}`)
    : new EcsApiError('ServerException', `Internal error: ${message}`);
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  dispatch: (request: LocalCloudRequest) => Promise<LocalCloudResponse>,
): Promise<void> {
  try {
    const body = await readBody(req);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const response =
      body === undefined
        ? {
            status: 413,
            headers: { 'content-type': ECS_CONTENT_TYPE },
            body: JSON.stringify({ __type: 'SerializationException', message: 'Request body too large.' }),
          }
        : await dispatch({ method: req.method, headers, body });
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
  } catch (error) {
    if (!res.headersSent) res.writeHead(500, { 'content-type': ECS_CONTENT_TYPE });
    res.end(
      JSON.stringify({
        __type: 'ServerException',
        message: error instanceof Error ? error.message : 'error',
      }),
    );
  }
}

/** The request body as text, or undefined when it exceeds the limit. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
