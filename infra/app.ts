/**
 * The CDK app (`npx cdk synth|deploy`, see cdk.json and docs/deploy.md). It reads the
 * autoscaler config file named by the context key `flink-ecs-autoscaler:configFile`, runs the
 * cdk-nag AwsSolutions and Serverless packs at synth, and defines the state, control-plane
 * and (with `-c flink-ecs-autoscaler:demoCluster=true`) demo-cluster stacks.
 */
import { App } from 'aws-cdk-lib';
import { readAppOptions } from './app-options.js';
import { addNagChecks } from './nag.js';
import { addAutoscalerStacks } from './stacks.js';

const app = new App();
const options = readAppOptions((key) => app.node.tryGetContext(key), process.env, process.cwd());
addNagChecks(app);
addAutoscalerStacks(app, options);
