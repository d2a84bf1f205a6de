/**
 * cdk-nag 3 wiring of this repository's CDK app: the rule packs run as CDK policy-validation
 * plugins at synth. (The constructs acknowledge their findings through ./acknowledge.ts, which
 * needs no cdk-nag: a team that installs the construct library runs the packs it chooses.)
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/** Runs the AwsSolutions and Serverless packs on every stack of the app at synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
