/**
 * The playground package: what the product's CLI loads for `simulate` and `local up`
 * (lib/cli/playground.ts names the contract). Everything else is imported by path.
 */
export { runLocalUp } from './cli/local-up-command';
export { runSimulate } from './cli/simulate';
