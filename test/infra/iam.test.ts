/**
 * Walks every IAM statement of every synthesized stack (control plane, state, demo cluster)
 * and checks least privilege: each function holds exactly the actions its code calls (as
 * recorded from its scenarios: test/support/aws-actions.ts), no wildcard actions, `*`
 * resources only where AWS offers nothing narrower, no dynamodb:Scan, table access limited
 * to the app's items, task writes limited to the TaskManager service's tasks, and no
 * function URL without IAM auth.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ECS_SERVICE_NAME_TAG } from '../../infra/constructs/flink-autoscaler';
import { isRecord } from '../../lib/core/values';
import { FUNCTION_ADAPTERS, recordFunctionActions, sdkActionsImportedBy } from '../support/aws-actions';
import { buildApp } from './helpers';

type Json = Record<string, unknown>;

interface Located {
  readonly where: string;
  readonly statement: Json;
}

/**
 * Actions that have no resource-level permissions, with the condition key that must narrow
 * them instead (if any).
 */
const STAR_RESOURCE_ALLOWED: Readonly<Record<string, string | undefined>> = {
  'cloudwatch:GetMetricData': undefined,
  'xray:PutTraceSegments': undefined,
  'xray:PutTelemetryRecords': undefined,
  'ecs:ListTasks': 'ecs:cluster',
  'ecs:DescribeTasks': 'ecs:cluster',
};

function list(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function statementsIn(document: unknown, where: string): Located[] {
  if (!isRecord(document)) return [];
  return list(document.Statement)
    .filter(isRecord)
    .map((statement, i) => ({ where: `${where}#${String(statement.Sid ?? i)}`, statement }));
}

/** Every policy statement of a template: identity policies, inline role policies, resource policies. */
function statementsOf(stackName: string, template: Json): Located[] {
  const resources = isRecord(template.Resources) ? template.Resources : {};
  return Object.entries(resources).flatMap(([id, resource]) => {
    if (!isRecord(resource) || !isRecord(resource.Properties)) return [];
    const props = resource.Properties;
    const where = `${stackName}/${id}`;
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
      case 'AWS::S3::BucketPolicy':
        return statementsIn(props.PolicyDocument, where);
      case 'AWS::IAM::Role':
        return list(props.Policies)
          .filter(isRecord)
          .flatMap((p) => statementsIn(p.PolicyDocument, `${where}/${String(p.PolicyName)}`));
      default:
        return [];
    }
  });
}

const isTlsGuard = (s: Json): boolean =>
  isRecord(s.Condition) &&
  isRecord(s.Condition.Bool) &&
  String(s.Condition.Bool['aws:SecureTransport']) === 'false';

function conditionKeys(s: Json): string[] {
  if (!isRecord(s.Condition)) return [];
  return Object.values(s.Condition).flatMap((byKey) => (isRecord(byKey) ? Object.keys(byKey) : []));
}

/** What a security review would flag in the statements, one sentence each. */
function iamFindings(located: readonly Located[]): string[] {
  const findings: string[] = [];
  for (const { where, statement: s } of located) {
    const actions = list(s.Action).map(String);
    if (s.NotAction !== undefined || s.NotResource !== undefined) {
      findings.push(`${where}: uses NotAction/NotResource`);
    }
    if (actions.some((a) => a.toLowerCase() === 'dynamodb:scan' || a === 'dynamodb:*')) {
      findings.push(`${where}: allows or names dynamodb:Scan`);
    }
    if (s.Effect === 'Deny') {
      if (!isTlsGuard(s)) findings.push(`${where}: unexpected Deny statement`);
      continue;
    }
    for (const action of actions.filter((a) => a.includes('*'))) {
      findings.push(`${where}: wildcard action ${action}`);
    }
    if (list(s.Resource).includes('*')) {
      for (const action of actions) {
        if (!Object.hasOwn(STAR_RESOURCE_ALLOWED, action)) {
          findings.push(`${where}: ${action} on resource *`);
          continue;
        }
        const needed = STAR_RESOURCE_ALLOWED[action];
        if (needed !== undefined && !conditionKeys(s).includes(needed)) {
          findings.push(`${where}: ${action} on resource * without the ${needed} condition`);
        }
      }
    }
    if (
      actions.some((a) => a.startsWith('dynamodb:')) &&
      !conditionKeys(s).includes('dynamodb:LeadingKeys')
    ) {
      findings.push(`${where}: DynamoDB access not limited to the app's partition (dynamodb:LeadingKeys)`);
    }
    if (isRecord(s.Principal) && s.Principal.AWS === '*') {
      findings.push(`${where}: allows any principal`);
    }
  }
  return findings;
}

function functionUrlFindings(stackName: string, template: Json): string[] {
  const resources = isRecord(template.Resources) ? template.Resources : {};
  return Object.entries(resources).flatMap(([id, r]) => {
    if (!isRecord(r) || !isRecord(r.Properties)) return [];
    if (r.Type === 'AWS::Lambda::Url' && r.Properties.AuthType !== 'AWS_IAM') {
      return [`${stackName}/${id}: function URL without IAM auth`];
    }
    if (
      r.Type === 'AWS::Lambda::Permission' &&
      (r.Properties.Principal === '*' || r.Properties.FunctionUrlAuthType === 'NONE')
    ) {
      return [`${stackName}/${id}: public invoke permission`];
    }
    return [];
  });
}

let templates: { readonly stackName: string; readonly template: Json }[];
let statements: Located[];

beforeAll(() => {
  const { app } = buildApp({ demoCluster: true });
  templates = app.synth().stacks.map((s) => ({ stackName: s.stackName, template: s.template as Json }));
  statements = templates.flatMap(({ stackName, template }) => statementsOf(stackName, template));
});

describe('IAM of the synthesized app', () => {
  it('walks the statements of all three stacks', () => {
    expect(templates.map((t) => t.stackName).sort()).toEqual([
      'FlinkEcsAutoscaler-orders',
      'FlinkEcsAutoscaler-orders-DemoCluster',
      'FlinkEcsAutoscaler-orders-State',
    ]);
    expect(statements.length).toBeGreaterThan(20);
  });

  it('has no finding: no wildcard action, `*` only where nothing narrower exists, no Scan', () => {
    expect(iamFindings(statements)).toEqual([]);
  });

  it('has no function URL and no public invoke permission', () => {
    expect(templates.flatMap(({ stackName, template }) => functionUrlFindings(stackName, template))).toEqual(
      [],
    );
  });

  it('lets only the scaler change the desired count, and only of the TaskManager service', () => {
    const updates = statements.filter(({ statement }) =>
      list(statement.Action).includes('ecs:UpdateService'),
    );
    expect(updates.map((u) => u.where)).toEqual([expect.stringMatching(/AutoscalerScalerRole/)]);
    expect(updates[0]?.statement.Resource).toBe(
      'arn:aws:ecs:eu-west-1:123456789012:service/flink/taskmanager',
    );
  });

  it("lets only the failover function stop and protect tasks, and only the TaskManager service's tasks", () => {
    const taskWrites = statements.filter(({ statement }) =>
      list(statement.Action).some((a) => ['ecs:StopTask', 'ecs:UpdateTaskProtection'].includes(String(a))),
    );
    expect(taskWrites.map((t) => t.where)).toEqual([
      expect.stringMatching(/AutoscalerFailoverRole.*#WriteTaskManagerTasks$/),
    ]);
    expect(taskWrites[0]?.statement).toMatchObject({
      Action: ['ecs:StopTask', 'ecs:UpdateTaskProtection'],
      Resource: 'arn:aws:ecs:eu-west-1:123456789012:task/flink/*',
      Condition: {
        ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:123456789012:cluster/flink' },
        StringEquals: { [`aws:ResourceTag/${ECS_SERVICE_NAME_TAG}`]: 'taskmanager' },
      },
    });
  });
});

/**
 * Actions the Lambda platform uses on a function's behalf, not its code: the log group
 * (logGroup.grantWrite), X-Ray (active tracing), the on-failure destination (SqsDestination).
 */
const PLATFORM_ACTIONS: ReadonlySet<string> = new Set([
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'sqs:SendMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
]);

describe('IAM of the functions: exactly the actions the code calls (issue 11 item 8)', () => {
  let called: { scaler: string[]; failover: string[] };

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    called = await recordFunctionActions();
    vi.unstubAllEnvs();
  });

  const granted = (role: RegExp): string[] =>
    [
      ...new Set(
        statements
          .filter(({ where }) => role.test(where))
          .flatMap(({ statement }) => list(statement.Action).map(String))
          .filter((a) => !PLATFORM_ACTIONS.has(a)),
      ),
    ].sort();

  it.each([
    ['scaler', /AutoscalerScalerRole/],
    ['failover', /AutoscalerFailoverRole/],
  ] as const)('the %s role grants what its handler sends over its scenarios, nothing more', (fn, role) => {
    expect(granted(role)).toEqual(called[fn]);
  });

  it('the scenarios reach every command the function adapters can send', () => {
    const sendable = FUNCTION_ADAPTERS.flatMap(sdkActionsImportedBy).sort();
    expect([...new Set([...called.scaler, ...called.failover])].sort()).toEqual(sendable);
  });

  it('issue 11 item 8: the failover function holds no GetItem, UpdateItem, BatchWriteItem or GetTaskProtection', () => {
    for (const unused of [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
      'ecs:GetTaskProtection',
    ]) {
      expect(granted(/AutoscalerFailoverRole/)).not.toContain(unused);
    }
  });
});

describe('Function: iamFindings', () => {
  it.each([
    ['a wildcard action', { Effect: 'Allow', Action: 'ecs:*', Resource: 'arn:x' }, 'wildcard action ecs:*'],
    [
      'Scan',
      {
        Effect: 'Allow',
        Action: 'dynamodb:Scan',
        Resource: 'arn:x',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['APP#a'] } },
      },
      'dynamodb:Scan',
    ],
    [
      '`*` for an action that has resources',
      { Effect: 'Allow', Action: 'ecs:UpdateService', Resource: '*' },
      'ecs:UpdateService on resource *',
    ],
    [
      'ListTasks on `*` without the cluster condition',
      { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*' },
      'without the ecs:cluster condition',
    ],
    [
      'table access beyond the app',
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: 'arn:t' },
      'dynamodb:LeadingKeys',
    ],
    [
      'a Deny other than the TLS guard',
      { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: 'arn:q' },
      'unexpected Deny',
    ],
    ['NotAction', { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:x' }, 'NotAction'],
  ])('flags %s', (_name, statement, expected) => {
    const findings = iamFindings([{ where: 'Stack/Policy#0', statement }]);
    expect(findings).toEqual([expect.stringContaining(expected)]);
  });

  it('accepts GetMetricData on `*`, ListTasks on `*` with the cluster condition, and the TLS guard', () => {
    const ok = [
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: { ArnEquals: { 'ecs:cluster': 'arn:c' } },
      },
      {
        Effect: 'Deny',
        Action: 'sqs:*',
        Resource: 'arn:q',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    expect(iamFindings(ok.map((statement, i) => ({ where: `S/P#${i}`, statement })))).toEqual([]);
  });
});
