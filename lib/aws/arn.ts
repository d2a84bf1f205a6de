/**
 * ARNs of ECS resources, parsed with the SDK's ARN parser (@aws-sdk/util-arn-parser).
 */
import { parse, validate } from '@aws-sdk/util-arn-parser';

/**
 * The name or id of a resource given by ARN or by name: the last `/`-separated segment of an
 * ARN's resource part (arn:aws:ecs:region:account:task/cluster/id → id,
 * arn:aws:ecs:region:account:cluster/name → name); anything that is not an ARN is a name already.
 */
export function resourceName(arnOrName: string): string {
  if (!validate(arnOrName)) return arnOrName;
  const { resource } = parse(arnOrName);
  return resource.slice(resource.lastIndexOf('/') + 1);
}
