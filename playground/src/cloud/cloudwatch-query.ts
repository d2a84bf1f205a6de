/**
 * CloudWatch's query protocol, as Debian's awscli 2.9, older SDKs and the CloudWatch agent
 * speak it: a form-encoded POST (`Action=GetMetricData&Version=2010-08-01&…`, lists as
 * `Name.member.N`, structures as `Name.Field`), answered with XML
 * (`<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`), errors
 * as `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>`.
 * The form becomes the request object of the JSON protocol, so both protocols run the same
 * operations (cloudwatch-server.ts) and validation.
 */
import type { CloudWatchApiError } from './errors';

export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
export const CLOUDWATCH_API_VERSION = '2010-08-01';
export const QUERY_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const XML_CONTENT_TYPE = 'text/xml';

/** Members whose form values are numbers (the query protocol sends every value as text). */
const NUMERIC = new Set([
  'Period',
  'StorageResolution',
  'MaxDatapoints',
  'MaxRecords',
  'Value',
  'SampleCount',
  'Sum',
  'Minimum',
  'Maximum',
  'Values',
  'Counts',
]);
const BOOLEAN = new Set(['ReturnData', 'IncludeLinkedAccounts']);
/** Output members that are timestamps: epoch seconds in the JSON shape, ISO-8601 in XML. */
const TIMESTAMPS = new Set([
  'Timestamps',
  'AlarmConfigurationUpdatedTimestamp',
  'StateUpdatedTimestamp',
  'StateTransitionedTimestamp',
]);

export interface QueryRequest {
  readonly action: string;
  readonly version: string | undefined;
  readonly input: Record<string, unknown>;
}

function coerce(member: string, value: string): unknown {
  if (NUMERIC.has(member)) {
    const n = Number(value);
    // "NaN"/"Infinity" stay text: the JSON shape carries them the same way, and they are rejected there.
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  if (BOOLEAN.has(member)) return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

type Node = Record<string, unknown>;

/** The child container at `key` of an object or array, created as `make()` when absent. */
function childOf<T>(parent: Node | unknown[], key: string | number, make: () => T): T {
  const holder = parent as Record<string | number, unknown>;
  const existing = holder[key];
  if (existing !== undefined) return existing as T;
  const created = make();
  holder[key] = created;
  return created;
}

/** Sets one form value at its path: `Name.member.N` is the N-th (1-based) element of list Name. */
function setPath(root: Node, parts: readonly string[], value: string): void {
  let node: Node = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const isList = parts[i + 1] === 'member' && /^\d+$/.test(parts[i + 2] ?? '');
    if (!isList) {
      if (i === parts.length - 1) {
        node[part] = coerce(part, value);
        return;
      }
      node = childOf<Node>(node, part, () => ({}));
      continue;
    }
    const list = childOf<unknown[]>(node, part, () => []);
    const index = Number(parts[i + 2]) - 1;
    if (i + 2 === parts.length - 1) {
      list[index] = coerce(part, value);
      return;
    }
    node = childOf<Node>(list, index, () => ({}));
    i += 2;
  }
}

/** Turns `a.member.2.b` keys into nested objects and arrays (members are 1-based). */
export function parseQueryForm(body: string): QueryRequest {
  const params = new URLSearchParams(body);
  const root: Node = {};
  let action = '';
  let version: string | undefined;
  for (const [key, value] of params) {
    if (key === 'Action') {
      action = value;
      continue;
    }
    if (key === 'Version') {
      version = value;
      continue;
    }
    setPath(root, key.split('.'), value);
  }
  return { action, version, input: compactLists(root) as Record<string, unknown> };
}

/** Lists built from `member.N` may have holes where N skipped a number: drop them. */
function compactLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactLists);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactLists(v)]));
  }
  return value;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function isoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString();
}

function scalarXml(name: string, value: unknown): string {
  if (TIMESTAMPS.has(name) && typeof value === 'number') return escapeXml(isoSeconds(value));
  return escapeXml(String(value));
}

/** One output member as XML: lists as <member> elements, structures as nested elements. */
function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const members = value.map((v) => {
      if (v !== null && typeof v === 'object') return `<member>${fieldsXml(v as Node)}</member>`;
      return `<member>${scalarXml(name, v)}</member>`;
    });
    return `<${name}>${members.join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${fieldsXml(value as Node)}</${name}>`;
  return `<${name}>${scalarXml(name, value)}</${name}>`;
}

function fieldsXml(node: Node): string {
  return Object.entries(node)
    .map(([k, v]) => toXml(k, v))
    .join('');
}

/** The XML document of a successful query-protocol response. */
export function queryResponseXml(action: string, output: Record<string, unknown>, requestId: string): string {
  const result =
    Object.keys(output).length === 0 ? '' : `<${action}Result>${fieldsXml(output)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${CLOUDWATCH_XMLNS}">${result}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** The XML error document of the query protocol. */
export function queryErrorXml(error: CloudWatchApiError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${CLOUDWATCH_XMLNS}"><Error><Type>${error.fault}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}
