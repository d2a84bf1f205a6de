/**
 * dynalite (a DynamoDB implementation on an in-memory LevelDB) in this process, for the
 * integration tests and the local simulation. Tables become ACTIVE at once.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface DynaliteHandle {
  /** e.g. http://127.0.0.1:43121 */
  readonly endpoint: string;
  /**
   * Serves one request in process through dynalite's own HTTP request listener, without a
   * socket (the same code path as over HTTP, about 3 ms faster per call): pass the handle to
   * localCloudRequestHandler to get an SDK request handler.
   */
  dispatch(request: DispatchRequest): Promise<DispatchResponse>;
  /** Stops the server and drops the in-memory data. */
  close(): Promise<void>;
}

export interface DispatchRequest {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface DispatchResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The parts of IncomingMessage and ServerResponse that dynalite's listener uses: the request's
 * method, headers and data/end events; the response's statusCode, setHeader and end.
 */
function dispatchTo(listener: RequestListener, request: DispatchRequest): Promise<DispatchResponse> {
  return new Promise((resolve, reject) => {
    const req = new EventEmitter() as EventEmitter & {
      method: string;
      url: string;
      headers: Record<string, string>;
    };
    req.method = request.method ?? 'POST';
    req.url = '/';
    req.headers = {};
    for (const [k, v] of Object.entries(request.headers))
      if (v !== undefined) req.headers[k.toLowerCase()] = v;
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 200,
      setHeader(name: string, value: string | number) {
        headers[name.toLowerCase()] = String(value);
      },
      getHeader(name: string) {
        return headers[name.toLowerCase()];
      },
      end(body?: string | Buffer) {
        resolve({ status: res.statusCode, headers, body: body === undefined ? '' : body.toString() });
      },
    };
    try {
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    } catch (error) {
      reject(error);
      return;
    }
    process.nextTick(() => {
      if (request.body !== '') req.emit('data', Buffer.from(request.body, 'utf8'));
      req.emit('end');
    });
  });
}

export async function startDynalite(): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error(`dynalite did not listen on a TCP port (${String(address)})`);
  }
  const { port } = address;
  let closed: Promise<void> | undefined;
  const [listener] = server.listeners('request') as RequestListener[];
  if (listener === undefined) throw new Error('dynalite has no request listener');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dispatch: (request) => dispatchTo(listener, request),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of SDK clients would otherwise hold the server open.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
