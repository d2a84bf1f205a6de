/**
 * Findings of cdk-nag acknowledged on the construct that causes them, one finding per call,
 * each with a written reason (aws-cdk-lib's Validations API: the constructs need no cdk-nag
 * import, and an app that runs cdk-nag sees the acknowledgements).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { isRecord } from '../lib/core/values.js';

/**
 * Acknowledges one cdk-nag finding (`RuleId` or `RuleId[Finding]`) on a construct and its
 * children. Every acknowledgement carries the reason a reviewer would ask for.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** cdk-nag's flattening of a CloudFormation value into the string its finding ids use. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isRecord(node)) {
    const join = node['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
    if (node['Fn::Sub'] !== undefined) return flatten(node['Fn::Sub']);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (node['Fn::ImportValue'] !== undefined) return flatten(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${flatten(node.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The id of the AwsSolutions-IAM5 finding for a wildcard resource ARN, exactly as cdk-nag reports it. */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}
